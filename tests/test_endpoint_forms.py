"""Endpoints differ on structured output: the start-up probe finds the form each one takes, and every
later request is sent in that form with the signature's schema and parses."""

from __future__ import annotations

import dspy
import pytest

from fake_endpoint import FakeEndpoint
from personaqa.programs.config import LMConfig
from personaqa.programs.lms import build_lm
from personaqa.programs.structured_output import BoundedJSONAdapter
from personaqa.signatures import GenerateQuestion


@pytest.mark.parametrize("form, expected", [("any", "json_schema"), ("json_object_only", "json_object"),
                                            ("plain_only", "none")])
def test_probe_picks_the_strongest_form_the_endpoint_takes_and_calls_parse(form, expected):
    with FakeEndpoint(schema_form=form) as endpoint:
        lm = build_lm(LMConfig(model="openai/fake", api_base=endpoint.base_url, structured_output="auto"))
        assert lm.structured_output == expected
        probes = len(endpoint.requests)
        with dspy.context(lm=lm.copy(cache=False), adapter=BoundedJSONAdapter()):
            out = dspy.Predict(GenerateQuestion)(persona="an analyst", passage="The fee is 40 million euros.",
                                                 interest="fee", question_type="extractive")
        (request,) = endpoint.requests[probes:]
    assert out.question.endswith("?")
    fmt = request.get("response_format") or {}
    if expected == "none":
        assert fmt == {}
    else:
        # the bounded schema travels in either form: json_schema's envelope, or llama.cpp's json_object + schema
        schema = fmt["json_schema"]["schema"] if expected == "json_schema" else fmt["schema"]
        assert fmt["type"] == expected
        assert schema["properties"]["question"]["maxLength"] == 300
        assert schema["properties"]["question"]["pattern"].endswith("[?]$")
