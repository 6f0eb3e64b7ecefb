import json

import pytest

from eval.data import load_items


def test_loads_shared_longbench_write(longbench_dir):
    items = load_items(longbench_dir / "longbench_write.jsonl")
    assert len(items) == 120
    assert {i.language for i in items} == {"en", "zh"}
    assert sum(i.language == "zh" for i in items) == 60
    assert len({i.id for i in items}) == 120
    ruler = load_items(longbench_dir / "longwrite_ruler.jsonl")
    assert sorted({i.required for i in ruler}) == [1000, 2000, 5000, 10000, 20000, 30000]


def test_ids_are_stable_and_limit(tmp_path):
    f = tmp_path / "d.jsonl"
    rows = [{"prompt": "Write 100 words", "length": 100, "type": "x"}, {"prompt": "写200字", "length": 200}]
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n\n", encoding="utf-8")
    a = load_items(f)
    f.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in reversed(rows)), encoding="utf-8")
    b = load_items(f)
    assert {i.id for i in a} == {i.id for i in b}
    assert a[1].language == "zh" and a[1].type == "unknown"
    assert len(load_items(f, limit=1)) == 1


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{bad", "not valid JSON"),
        ('{"length": 5}', "'prompt'"),
        ('{"prompt": "x", "length": 0}', "'length'"),
        ('{"prompt": "x", "length": "many"}', "'length'"),
        ("[1]", "JSON object"),
    ],
)
def test_bad_row_names_file_and_line(tmp_path, line, message):
    f = tmp_path / "d.jsonl"
    f.write_text('{"prompt": "ok", "length": 10}\n' + line + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=rf"d\.jsonl:2: .*{message}"):
        load_items(f)
