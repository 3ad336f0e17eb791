"""Endpoints differ on structured output: the start-up probe finds the form each one takes, and every
later request is sent in that form with the signature's schema and parses."""

from __future__ import annotations

import json

import dspy
import pytest
from fake_endpoint import FakeEndpoint
from personaqa.programs.config import LMConfig
from personaqa.programs.lm.build import build_lm
from personaqa.programs.lm.structured_output import BoundedJSONAdapter
from personaqa.signatures import GenerateQuestion


@pytest.mark.parametrize(
    "form, expected", [("any", "json_schema"), ("json_object_only", "json_object"), ("plain_only", "none")]
)
def test_probe_picks_the_strongest_form_the_endpoint_takes_and_calls_parse(form, expected):
    with FakeEndpoint(schema_form=form) as endpoint:
        lm = build_lm(LMConfig(model="openai/fake", api_base=endpoint.base_url, structured_output="auto"))
        assert lm.structured_output == expected
        probes = len(endpoint.requests)
        with dspy.context(lm=lm.copy(cache=False), adapter=BoundedJSONAdapter()):
            out = dspy.Predict(GenerateQuestion)(
                persona="an analyst",
                passage="The fee is 40 million euros.",
                interest="fee",
                question_type="extractive",
            )
        (request,) = endpoint.requests[probes:]
    assert out.question.endswith("?")
    fmt = request.get("response_format") or {}
    if expected == "none":
        assert fmt == {}
    else:
        # the bounded schema travels either way: json_schema's envelope, or llama.cpp's json_object + schema
        schema = fmt["json_schema"]["schema"] if expected == "json_schema" else fmt["schema"]
        assert fmt["type"] == expected
        assert schema["properties"]["question"]["maxLength"] == 300
        assert schema["properties"]["question"]["pattern"].endswith("[?]$")


def test_extra_body_fields_reach_the_endpoint_on_every_call():
    with FakeEndpoint() as endpoint:
        lm = build_lm(
            LMConfig(
                model="openai/fake",
                api_base=endpoint.base_url,
                extra_body={"repeat_penalty": 1.0, "top_k": 20},
            )
        )
        with dspy.context(lm=lm.copy(cache=False), adapter=BoundedJSONAdapter()):
            dspy.Predict(GenerateQuestion)(
                persona="p",
                passage="The fee is 40 million euros.",
                interest="fee",
                question_type="extractive",
            )
    assert len(endpoint.requests) >= 2  # the probe and the call
    assert all(r["repeat_penalty"] == 1.0 and r["top_k"] == 20 for r in endpoint.requests)


def test_extra_body_is_refused_for_the_in_process_model_and_for_credentials():
    from personaqa.programs.config import load_config
    from personaqa.programs.core.errors import InputError

    with pytest.raises(InputError, match="extra_body is for endpoint LMs"):
        build_lm(LMConfig(extra_body={"repeat_penalty": 1.0}))
    with pytest.raises(InputError, match="'api_key' looks like a credential"):
        load_config(None, {"lm.extra_body": {"api_key": "sk-123"}})


def test_run_json_records_the_form_the_endpoint_took(tmp_path):
    from personaqa.programs.cli import main

    docs = tmp_path / "doc.md"
    docs.write_text("The Harbor Analytics break fee is 40 million euros.\n")
    with FakeEndpoint(schema_form="json_object_only") as endpoint:
        code = main(
            [
                "generate",
                "--docs",
                str(docs),
                "--out",
                str(tmp_path / "out"),
                "--lm",
                "openai/fake",
                "--api-base",
                endpoint.base_url,
                "--quiet",
                "--no-mlflow",
                "--config",
                str(_max_one(tmp_path)),
            ]
        )
    assert code == 0
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["lm_structured_output"] == "json_object"
    assert run["counts"]["kept"] > 0  # json_object answers carrying the schema parse


def _max_one(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("max_interests: 1\nmax_types_per_interest: 1\n")
    return path
