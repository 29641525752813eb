import json

import pytest

from grader.loader import UnreadableSubmission, load_submission


def nb(*cells, markdown=True):
    doc = {"nbformat": 4, "nbformat_minor": 5, "metadata": {},
           "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": None,
                      "source": c} for c in cells]}
    if markdown:
        doc["cells"].insert(0, {"cell_type": "markdown", "metadata": {}, "source": "# 見出し"})
    return json.dumps(doc).encode()


def test_py_statements_become_units_with_line_numbers():
    loaded = load_submission(b"import numpy as np\n\n@dec\ndef f():\n    return 1\nx = 1; y = 2\n", "a.py")
    assert [(u.lineno, u.is_definition) for u in loaded.units] == [(1, True), (3, True), (6, False)]


def test_magics_and_shell_lines_are_skipped_with_a_note():
    loaded = load_submission(nb("%matplotlib inline\n!pip install x\nimport numpy as np"), "n.ipynb")
    assert [u.source.strip() for u in loaded.units] == ["pass", "pass", "import numpy as np"]
    assert any("magic" in n.en for n in loaded.notes)


def test_cell_that_does_not_parse_is_skipped_others_kept():
    loaded = load_submission(nb("def f(:\n  pass", "def g():\n    return 2", ["x = 1\n", "y = 2\n"]), "n.ipynb")
    assert [u.filename for u in loaded.units] == ["n.ipynb, cell 2", "n.ipynb, cell 3", "n.ipynb, cell 3"]
    assert any("cell 1" in n.en and "parse" in n.en for n in loaded.notes)
    assert any("セル 1" in n.ja for n in loaded.notes)


def test_py_with_a_syntax_error_keeps_what_parses():
    src = b"def good():\n    return 1\n\ndef bad(:\n    pass\n\nclass Fine:\n    pass\n"
    loaded = load_submission(src, "s.py")
    assert [u.source.split("\n")[0] for u in loaded.units] == ["def good():", "class Fine:"]
    assert any("lines 4-" in n.en for n in loaded.notes)


def test_nbformat3_worksheets_are_read():
    doc = {"nbformat": 3, "worksheets": [{"cells": [{"cell_type": "code", "input": ["x = 1\n"]}]}]}
    assert load_submission(json.dumps(doc).encode(), "old.ipynb").units[0].source == "x = 1"


def test_shift_jis_source_is_decoded():
    loaded = load_submission("# 日本語のコメント\nx = 1\n".encode("cp932"), "sjis.py")
    assert loaded.units[0].source == "x = 1"


@pytest.mark.parametrize("data,name,needle", [
    (b"", "empty.py", "empty"),
    (b"   \n\n", "blank.py", "empty"),
    (b"{not json", "bad.ipynb", "not JSON"),
    (b'{"cells": 3}', "bad.ipynb", "no cells"),
    (nb("", "   "), "n.ipynb", "no code cells"),
    (b"\x00\x01\x02binary", "x.py", "binary"),
    (b"# only a comment\n", "c.py", "no Python statements"),
    (b"def f(:\n", "s.py", "s.py, line 1 does not parse"),  # one line: not "lines 1-2"
])
def test_unreadable_submissions_get_a_clear_bilingual_reason(data, name, needle):
    with pytest.raises(UnreadableSubmission) as info:
        load_submission(data, name)
    assert needle in info.value.msg.en
    assert info.value.msg.ja and info.value.msg.ja != info.value.msg.en
