"""streams/cli.py in process, no Kafka: ``newsstreams process``, argument and settings errors, ``--version``."""
from __future__ import annotations

import io
import os
import sys

import orjson
import pytest

from streams.cli import build_parser, main
from streams.parse.identity import content_hash

SEED_TITLE = "Backed Free Syrian Army Group Shoots Down Russian Jet, Kills Pilot"


@pytest.fixture(autouse=True)
def no_newsstreams_env(monkeypatch):
    for name in list(os.environ):
        if name.startswith("NEWSSTREAMS_"):
            monkeypatch.delenv(name)


@pytest.fixture
def seed_file(tmp_path, seed_bytes):
    path = tmp_path / "seed_article.txt"
    path.write_bytes(seed_bytes)
    return path


def records(out: str) -> list[dict]:
    return [orjson.loads(line) for line in out.splitlines() if line.strip()]


def test_process_seed_prints_its_enriched_record(seed_file, capsys):
    assert main(["process", str(seed_file), "--json"]) == 0
    captured = capsys.readouterr()
    [record] = records(captured.out)
    assert record["title"] == SEED_TITLE
    assert record["authors"] == ["Victor Meyer"]
    assert record["section"] == "Worldwide"
    assert record["published_at"].startswith("2018-02-04")
    assert record["language"] == "en"
    assert record["text"].startswith("Al-Qaida-linked militants in Syria downed a Russian fighter jet")
    assert record["id"] == "c" + record["content_hash"][:20]       # no id, no URL: from the content
    assert record["content_hash"] == content_hash(record["text"])
    assert record["duplicate_of"] is None and record["story_id"] == record["id"]
    assert record["category"] == "conflict"
    assert record["pipeline"]["mode"] == "accurate"
    canon = {e["canonical"] for e in record["entities"]}
    assert {"Syria", "United Nations", "Staffan de Mistura", "Idlib"} <= canon
    assert "Idlib" in {loc["name"] for loc in record["locations"]}
    assert captured.err == ""


def test_process_fast_mode(seed_file, capsys):
    assert main(["process", str(seed_file), "--json", "--mode", "fast"]) == 0
    [record] = records(capsys.readouterr().out)
    assert record["pipeline"]["mode"] == "fast"
    assert record["title"] == SEED_TITLE and record["category"]
    assert "United States" in {e["canonical"] for e in record["entities"]}       # from the alias dictionary


def test_process_pretty_output(seed_file, capsys):
    assert main(["process", str(seed_file), "--mode", "fast"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == SEED_TITLE
    assert "Victor Meyer" in out and "category " in out and "entities:" in out


def test_a_bad_file_is_reported_on_stderr_with_its_reason(tmp_path, capsys):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("Caf\xe9 au lait, a story in Latin-1 bytes.".encode("latin-1"))
    assert main(["process", str(bad), "--json", "--mode", "fast"]) == 1          # everything failed
    captured = capsys.readouterr()
    assert captured.out == ""
    assert str(bad) in captured.err and "dead letter (invalid_utf8)" in captured.err


@pytest.mark.parametrize("content, reason", [
    (b"", "empty"),
    (b'{"id": "x", "title": "no body"}', "no_text"),
    (b'{"id": "x", "text": ', "invalid_json"),
    (b"<html><body><nav>Home</nav></body></html>", "no_main_text"),
])
def test_each_rejection_names_its_reason(tmp_path, capsys, content, reason):
    bad = tmp_path / "input.dat"
    bad.write_bytes(content)
    assert main(["process", str(bad), "--format", "text", "--mode", "fast"]) == 1
    assert f"dead letter ({reason})" in capsys.readouterr().err


def test_good_and_bad_files_together_exit_zero(tmp_path, seed_bytes, capsys):
    (tmp_path / "a_seed.txt").write_bytes(seed_bytes)
    (tmp_path / "b_empty.txt").write_bytes(b"   ")
    assert main(["process", str(tmp_path), "--json", "--mode", "fast"]) == 0
    captured = capsys.readouterr()
    assert len(records(captured.out)) == 1
    assert "b_empty.txt" in captured.err and "(empty)" in captured.err


def test_near_duplicates_across_inputs_are_marked(tmp_path, seed_bytes, capsys):
    text = seed_bytes.decode()
    lines = [orjson.dumps({"id": "first", "text": text}),
             orjson.dumps({"id": "second", "text": text.replace("Saturday", "Sunday", 1)})]
    (tmp_path / "two.jsonl").write_bytes(b"\n".join(lines))
    assert main(["process", str(tmp_path / "two.jsonl"), "--json", "--mode", "fast"]) == 0
    first, second = records(capsys.readouterr().out)
    assert first["id"] == "first" and first["duplicate_of"] is None
    assert second["id"] == "second" and second["duplicate_of"] == "first" and second["story_id"] == "first"
    assert "duplicate" in second["flags"]


def test_process_reads_stdin(monkeypatch, seed_bytes, capsys):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(seed_bytes), encoding="utf-8"))
    assert main(["process", "-", "--json", "--mode", "fast"]) == 0
    assert records(capsys.readouterr().out)[0]["title"] == SEED_TITLE


def test_process_csv_carries_extra_columns(fakenews_csv, tmp_path, capsys):
    # the header and the first record (a quoted CSV cell may span lines: cut at the second record's start)
    text = fakenews_csv.read_text(encoding="utf-8")
    second = text.index("\n1,")
    (tmp_path / "one.csv").write_text(text[:second + 1], encoding="utf-8")
    assert main(["process", str(tmp_path / "one.csv"), "--json", "--mode", "fast"]) == 0
    [record] = records(capsys.readouterr().out)
    assert record["id"] == "141"
    assert record["source"]["domain"] == "awm.com" and record["source"]["reliability"] == "unreliable"
    assert record["extra"]["type"] == "unreliable"
    assert record["title"].startswith("Church Congregation Brings Gift")


def test_missing_input_exits_2(tmp_path, capsys):
    assert main(["process", str(tmp_path / "absent.txt")]) == 2
    assert "process: no such file or folder" in capsys.readouterr().err


def test_bad_settings_exit_2_with_the_message(tmp_path, seed_file, capsys):
    config = tmp_path / "c.yaml"
    config.write_text("pipeline:\n  nope: 1\n")
    assert main(["process", str(seed_file), "--config", str(config)]) == 2
    assert "newsstreams:" in (err := capsys.readouterr().err) and "pipeline.nope" in err


def test_bad_environment_exits_2(monkeypatch, seed_file, capsys):
    monkeypatch.setenv("NEWSSTREAMS_PIPELINE_MODE", "turbo")
    assert main(["process", str(seed_file)]) == 2
    assert "pipeline.mode" in capsys.readouterr().err


def test_unparsable_config_file_exits_2_not_a_traceback(tmp_path, seed_file, capsys):
    config = tmp_path / "broken.yaml"
    config.write_text("pipeline: [fast\n")
    assert main(["process", str(seed_file), "--config", str(config)]) == 2
    assert "broken.yaml" in capsys.readouterr().err


def test_mode_flag_is_validated_by_argparse(seed_file, capsys):
    with pytest.raises(SystemExit) as e:
        main(["process", str(seed_file), "--mode", "turbo"])
    assert e.value.code == 2
    assert "invalid choice: 'turbo'" in capsys.readouterr().err


def test_version(capsys):
    from streams import __version__

    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0 and capsys.readouterr().out.strip() == f"newsstreams {__version__}"


def test_every_documented_command_exists():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert {"run", "worker", "broker", "publish", "tail", "process"} <= set(sub.choices)
    args = parser.parse_args(["publish", "-", "--broker", "kafka://h:1", "--topic", "t", "--format", "jsonl"])
    assert (args.paths, args.broker, args.topic, args.format) == (["-"], "kafka://h:1", "t", "jsonl")
    args = parser.parse_args(["tail", "--from-beginning", "--max", "3", "--json", "--timeout", "2"])
    assert (args.from_beginning, args.max, args.json, args.timeout) == (True, 3, True, 2.0)
