"""experiments/_sections.py and the scripts that write their figures into the docs: a section between its
markers is replaced (date, command, settings, figures), the rest of the file is kept, and a blind rating
sheet's ratings file is tallied into one."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from pathlib import Path

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"


def script(name: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(EXPERIMENTS / name), *args],
        capture_output=True,
        text=True,
        input=stdin,
        check=False,
    )


def doc(tmp_path: Path, name: str) -> Path:
    path = tmp_path / "BENCHMARKS.md"
    path.write_text(
        f"# Benchmarks\n\nabove\n<!-- {name} -->\nold figures\n<!-- /{name} -->\nbelow\n", "utf-8"
    )
    return path


def section(path: Path, name: str) -> str:
    return path.read_text("utf-8").split(f"<!-- {name} -->\n")[1].split(f"<!-- /{name} -->")[0]


def test_calls_per_unit_writes_its_section_from_a_run(tmp_path):
    run = {
        "config": {"persona_stake_threshold": 0.13},
        "program": "/x/default.json",
        "lm": "embedded",
        "counts": {"units": 21, "units_passed": 7, "kept": 22},
        "lm_usage": {"interests": {"calls": 14}, "generation": {"calls": 39}},
        "lm_usage_total": {"calls": 53, "input_tokens": 14000, "output_tokens": 1400},
        "wall_seconds_this_session": 797.6,
    }
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "run.json").write_text(json.dumps(run), "utf-8")
    target = doc(tmp_path, "calls_per_unit")
    done = script("calls_per_unit.py", str(run_dir), "--write", str(target))
    assert done.returncode == 0, done.stderr
    text = section(target, "calls_per_unit")
    assert text.startswith(f"Written {datetime.date.today()} by `python experiments/calls_per_unit.py ")
    assert "settings: program default.json, LM embedded, persona_stake_threshold 0.13" in text
    assert "14 asked; per asked unit: interests 1.00, generation 2.79 LM calls (3.79 in all)" in text
    assert "old figures" not in text
    assert (
        target.read_text("utf-8").startswith("# Benchmarks\n\nabove\n") and "\nbelow\n" in target.read_text()
    )


def test_a_file_without_the_section_is_refused_and_left_alone(tmp_path):
    target = doc(tmp_path, "other")
    before = target.read_text("utf-8")
    done = script("_sections.py", "grammar_first", str(target), "--command", "x", stdin="figures\n")
    assert (
        done.returncode == 1
        and "no <!-- grammar_first --> ... <!-- /grammar_first --> section" in done.stderr
    )
    assert target.read_text("utf-8") == before


def test_printed_output_becomes_a_text_block(tmp_path):
    target = doc(tmp_path, "validate_cisi")
    done = script(
        "_sections.py", "validate_cisi", str(target), "--command", "bash v.sh 30", stdin="tau +0.29\n"
    )
    assert done.returncode == 0, done.stderr
    text = section(target, "validate_cisi")
    assert "by `bash v.sh 30`" in text.splitlines()[0]
    assert text.endswith("\n```text\ntau +0.29\n```\n")


def test_rating_sheet_tallies_a_ratings_file_into_its_section(tmp_path):
    ratings = tmp_path / "ratings_m8.csv"
    ratings.write_text(
        "item,persona,question,rating,comment\n"
        "1,busy_parent,when are fees due?,good,\n"
        "2,competition_lawyer,what are the two benefits?,Wrong,the stipend is separate\n"
        "3,data_journalist,what was the fine?,weak,reads like the lawyer\n"
        "4,busy_parent,how long at home?,good,\n",
        "utf-8",
    )
    target = doc(tmp_path, "rating_m8")
    done = script(
        "rating_sheet.py", "--tally", str(ratings), "--write", str(target), "--section", "rating_m8"
    )
    assert done.returncode == 0, done.stderr
    assert "4 questions of `ratings_m8.csv` rated blind: **2 good, 1 weak, 1 wrong**." in done.stdout
    text = section(target, "rating_m8")
    assert "**2 good, 1 weak, 1 wrong**" in text
    assert "- 2 (competition_lawyer) `what are the two benefits?`: the stipend is separate" in text

    ratings.write_text("item,rating\n1,fine\n", "utf-8")
    done = script("rating_sheet.py", "--tally", str(ratings))
    assert (
        done.returncode == 1
        and "ratings_m8.csv:2: rating 'fine' is not one of good, weak, wrong" in done.stderr
    )


def test_main_job_writes_the_readme_figures_from_a_run_and_its_rating(tmp_path: Path):
    run = tmp_path / "run"
    run.mkdir()
    usage = {"interests": {"calls": 2}, "generation": {"calls": 3}, "style": {"calls": 0}}
    (run / "run.json").write_text(
        json.dumps(
            {
                "lm": "embedded",
                "wall_seconds_this_session": 123.4,
                "lm_usage_total": {"calls": 5},
                "lm_usage": usage,
                "counts": {"units": 4, "units_passed": 1, "passed_per_persona": {"parent": 1}},
            }
        ),
        "utf-8",
    )
    questions = [("lawyer", "When must X decide?", "by 1 May"), ("parent", "how much is it?", "5 pounds")]
    questions.append(("parent", "when does it open?", "at 9 am"))
    (run / "questions.jsonl").write_text(
        "".join(
            json.dumps({"persona": {"name": p}, "question": q, "answer": a}) + "\n" for p, q, a in questions
        ),
        "utf-8",
    )
    ratings = tmp_path / "ratings.csv"
    ratings.write_text(
        "item,persona,question,rating,comment\n1,lawyer,When must X decide?,good,\n"
        "2,parent,how much is it?,wrong,no rate\n3,parent,when does it open?,good,\n",
        "utf-8",
    )
    readme = doc(tmp_path, "main_job")
    done = script("main_job.py", str(run), "--ratings", str(ratings), "--write", str(readme))
    assert done.returncode == 0, done.stderr
    text = readme.read_text("utf-8")
    assert "**3 questions in 123 s**, 5 LM calls (interests 2, generation 3); parent 2, lawyer 1." in text
    assert "The stake gate passed 1 of the 4 (chunk, persona) units (parent 1)" in text
    # the example of each persona is its first question the reader rated good
    assert (
        "| lawyer | When must X decide? | by 1 May |" in text
        and "| parent | when does it open? | at 9 am |" in text
    )
    assert "how much is it? |" not in text
    assert "**2 good, 0 weak, 1 wrong**" in text and "- (parent) how much is it? — no rate" in text
    assert text.startswith("# Benchmarks\n\nabove\n<!-- main_job -->\nWritten ") and text.endswith("below\n")
