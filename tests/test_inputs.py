"""streams/inputs.py: what ``publish`` and ``process`` make of files, folders, JSON, JSON Lines, CSV and stdin."""
from __future__ import annotations

import io
import sys
from pathlib import Path

import orjson
import pytest

from streams.inputs import FORMATS, format_of, iter_paths, messages_of, read_messages


def values(messages) -> list[bytes]:
    return [m.value for m in messages]


@pytest.fixture
def stdin(monkeypatch):
    """Replace sys.stdin with one whose .buffer holds the given bytes."""
    def feed(data: bytes):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    return feed


# --- files and folders ---------------------------------------------------------------------------

def test_a_text_file_is_one_message_as_is(tmp_path, seed_bytes):
    path = tmp_path / "seed.txt"
    path.write_bytes(seed_bytes)
    [m] = read_messages([str(path)])
    assert m.value == seed_bytes and m.key is None and m.origin == str(path)


def test_an_html_file_is_one_message_as_is(tmp_path):
    page = b"<html><body><p>Hello</p></body></html>\n"
    (tmp_path / "page.html").write_bytes(page)
    [m] = read_messages([str(tmp_path / "page.html")])
    assert m.value == page


def test_a_folder_gives_its_files_sorted_and_skips_hidden_ones(tmp_path):
    (tmp_path / "b.txt").write_text("second article")
    (tmp_path / "a.txt").write_text("first article")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "c.txt").write_text("third article")
    (tmp_path / ".hidden.txt").write_text("hidden")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD").write_text("ref: refs/heads/main")
    (tmp_path / "sub" / ".DS_Store").write_bytes(b"\x00\x01")
    assert [p.relative_to(tmp_path).as_posix() for p in iter_paths([str(tmp_path)])] == ["a.txt", "b.txt", "sub/c.txt"]
    assert values(read_messages([str(tmp_path)])) == [b"first article", b"second article", b"third article"]


def test_a_folder_inside_a_hidden_parent_is_still_read_when_named(tmp_path):
    folder = tmp_path / ".cache" / "articles"
    folder.mkdir(parents=True)
    (folder / "a.txt").write_text("an article")
    assert values(read_messages([str(folder)])) == [b"an article"]


def test_files_and_folders_mix_in_the_order_given(tmp_path):
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "x.txt").write_text("from the folder")
    (tmp_path / "one.txt").write_text("named file")
    assert values(read_messages([str(tmp_path / "one.txt"), str(tmp_path / "dir")])) == [b"named file",
                                                                                          b"from the folder"]


def test_a_missing_path_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file or folder: .*absent.txt"):
        list(read_messages([str(tmp_path / "absent.txt")]))


def test_the_packaged_samples_folder_reads(tmp_path):
    samples = Path(__file__).resolve().parents[1] / "streams" / "data" / "samples"
    messages = list(read_messages([str(samples)]))
    assert len(messages) > 100                                 # the CSV rows and the seed
    assert all(m.value for m in messages)


# --- JSON and JSON Lines -------------------------------------------------------------------------

def test_json_object_is_one_message_keyed_by_its_id(tmp_path):
    (tmp_path / "a.json").write_bytes(orjson.dumps({"id": 42, "text": "Some words here.", "tags": ["x"]}))
    [m] = read_messages([str(tmp_path / "a.json")])
    assert m.key == b"42" and orjson.loads(m.value) == {"id": 42, "text": "Some words here.", "tags": ["x"]}


def test_json_array_is_one_message_per_object(tmp_path):
    articles = [{"id": "a1", "text": "one"}, {"text": "no id"}, {"id": "  ", "text": "blank id"}]
    (tmp_path / "batch.json").write_bytes(orjson.dumps(articles, option=orjson.OPT_INDENT_2))
    messages = list(read_messages([str(tmp_path / "batch.json")]))
    assert [orjson.loads(m.value) for m in messages] == articles
    assert [m.key for m in messages] == [b"a1", None, None]
    assert [m.origin for m in messages] == [f"{tmp_path / 'batch.json'}[{n}]" for n in range(3)]


def test_jsonl_is_one_message_per_line_and_a_bad_line_is_kept_for_the_dead_letter_topic(tmp_path):
    lines = [b'{"id": "j1", "text": "first"}', b"", b"{not json", b'   ', b'{"id": "j3", "text": "third"}']
    (tmp_path / "a.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    messages = list(read_messages([str(tmp_path / "a.jsonl")]))
    assert values(messages) == [lines[0], b"{not json", lines[4]]
    assert [m.key for m in messages] == [b"j1", None, b"j3"]
    assert [m.origin.rsplit(":", 1)[1] for m in messages] == ["1", "3", "5"]     # line numbers for errors


def test_invalid_json_file_is_a_value_error(tmp_path):
    (tmp_path / "bad.json").write_text("{oops")
    with pytest.raises(ValueError):
        list(read_messages([str(tmp_path / "bad.json")]))


# --- CSV (FakeNewsCorpus) ------------------------------------------------------------------------

def test_fakenewscorpus_csv_rows_become_json_articles(fakenews_csv):
    messages = list(read_messages([str(fakenews_csv)]))
    assert len(messages) == 250
    first = orjson.loads(messages[0].value)
    assert first["text"].startswith("Sometimes the power of Christmas")       # content -> text
    assert first["source"] == "awm.com"                                      # domain -> source
    assert "content" not in first and "domain" not in first
    assert "" not in first                                                   # pandas' unnamed index column
    assert first["id"] == "141" and messages[0].key == b"141"
    assert first["type"] == "unreliable" and first["url"].startswith("http://awm.com/")   # carried along
    assert "keywords" not in first                                           # empty cells are left out
    assert messages[0].origin.endswith(":2")                                 # row 2 of the file


def test_csv_with_bom_quotes_and_newlines(tmp_path):
    data = ('\ufeffid,domain,content,title\n'
            '7,example.com,"Line one,\nline two ""quoted""",A title\n'
            ',other.org,Second body,\n').encode("utf-8")
    (tmp_path / "x.csv").write_bytes(data)
    messages = list(read_messages([str(tmp_path / "x.csv")]))
    assert [orjson.loads(m.value) for m in messages] == [
        {"id": "7", "source": "example.com", "text": 'Line one,\nline two "quoted"', "title": "A title"},
        {"source": "other.org", "text": "Second body"},
    ]
    assert [m.key for m in messages] == [b"7", None]


# --- stdin ---------------------------------------------------------------------------------------

def test_stdin_dash_reads_standard_input(stdin, seed_bytes):
    stdin(seed_bytes)
    [m] = read_messages(["-"])
    assert m.value == seed_bytes and m.origin == "stdin"


def test_stdin_jsonl_is_detected(stdin):
    stdin(b'{"id": "s1", "text": "one"}\n{"id": "s2", "text": "two"}\n')
    assert [m.key for m in read_messages(["-"])] == [b"s1", b"s2"]


def test_stdin_with_an_explicit_format(stdin):
    stdin(b"id,content\n1,hello there\n")
    [m] = read_messages(["-"], fmt="csv")
    assert orjson.loads(m.value) == {"id": "1", "text": "hello there"}


def test_stdin_json_array_is_split_in_auto_mode(stdin):
    """``cat batch.json | newsstreams publish -`` should publish each article, as the .json file would."""
    stdin(b'[{"id": "a", "text": "one"}, {"id": "b", "text": "two"}]')
    assert [m.key for m in read_messages(["-"])] == [b"a", b"b"]


# --- format detection ----------------------------------------------------------------------------

@pytest.mark.parametrize("name, data, expected", [
    ("a.csv", b"x", "csv"), ("a.CSV", b"x", "csv"), ("a.jsonl", b"x", "jsonl"), ("a.ndjson", b"x", "jsonl"),
    ("a.json", b"x", "json"), ("a.html", b"x", "html"), ("a.htm", b"x", "html"), ("a.txt", b"{}", "text"),
    ("a.md", b"x", "text"),
    ("noext", b'  {"id": 1}', "json"),
    ("noext", b'{\n  "id": 1,\n  "text": "x"\n}', "json"),             # a pretty-printed object
    ("noext", b'{"id": 1}\n{"id": 2}\n', "jsonl"),
    ("noext", b"Published: Sun, February 04, 2018\n\nBody", "text"),
    ("noext", b"[January 24, 2018 - ZurichTimes.net]\n\nBody", "text"),   # a bracketed dateline is text
    ("a.unknown", b"plain words", "text"),
])
def test_auto_format(name, data, expected):
    assert format_of(Path(name), data, "auto") == expected


def test_an_explicit_format_wins_over_the_extension(tmp_path):
    (tmp_path / "rows.txt").write_text('{"id": "x", "text": "one"}\n{"id": "y", "text": "two"}\n')
    assert len(list(read_messages([str(tmp_path / "rows.txt")]))) == 1
    assert len(list(read_messages([str(tmp_path / "rows.txt")], fmt="jsonl"))) == 2


def test_unknown_format_is_refused():
    assert "auto" in FORMATS
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        list(messages_of(b"<x/>", "xml", "here"))
