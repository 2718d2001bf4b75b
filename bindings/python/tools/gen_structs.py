"""Writes trendcast/_structs.py, the ctypes copies of the C header's structs, from
include/trendcast.h (itself generated from the library's Rust by cbindgen), so that every struct the
bindings pass has one source. tests/test_header.py fails when the written file is stale.

    python bindings/python/tools/gen_structs.py          # rewrite it
    python bindings/python/tools/gen_structs.py --check  # exit 1 when it is stale
"""

import re
import sys
from pathlib import Path

PYTHON = Path(__file__).resolve().parents[1]
HEADER = PYTHON.parents[1] / "include" / "trendcast.h"
OUT = PYTHON / "trendcast" / "_structs.py"

# The C types the header's struct fields use, as ctypes spells them.
C_TYPES = {
    "uint32_t": "c_uint32",
    "int32_t": "c_int32",
    "size_t": "c_size_t",
    "double": "c_double",
    "float": "c_float",
}


def ctype(decl):
    """The ctypes type of a field declaration's type part (`const double *`, `size_t`, ...)."""
    decl = decl.replace("const ", "").strip()
    if decl == "char *":
        return "c_char_p"
    if decl.endswith("*"):
        return f"POINTER({C_TYPES[decl[:-1].strip()]})"
    return C_TYPES[decl]


def structs(header):
    """(name, first doc line, [(field, ctypes type)]) of each struct the header defines, in order."""
    for m in re.finditer(r"(/\*\*(?:(?!\*/).)*\*/\s*)?typedef struct (\w+) \{(.*?)\} \2;", header, re.S):
        lines = [re.sub(r"^\s*/?\*+/?", "", line).strip() for line in (m[1] or "").splitlines()]
        doc = re.match(r".*?(\.(?=\s|$)|$)", " ".join(x for x in lines if x))[0]
        body = re.sub(r"/\*.*?\*/", "", m[3], flags=re.S)
        fields = []
        for line in body.split(";"):
            line = " ".join(line.split())
            if line:
                f = re.fullmatch(r"(.*?[\s*])(\w+)", line)
                fields.append((f[2], ctype(f[1])))
        yield m[2], doc, fields


def render(header):
    out = [
        '"""The C header\'s structs as ctypes sees them. Generated from include/trendcast.h by',
        'bindings/python/tools/gen_structs.py; do not edit."""',
        "",
        "from ctypes import POINTER, Structure, c_char_p, c_double, c_float, c_int32, c_size_t, c_uint32  # noqa: F401",
    ]
    for name, doc, fields in structs(header):
        out += ["", "", f"class {name}(Structure):"]
        if doc:
            out += [f'    """{doc}"""', ""]
        out.append("    _fields_ = [")
        out += [f'        ("{f}", {t}),' for f, t in fields]
        out.append("    ]")
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    text = render(HEADER.read_text())
    if "--check" in sys.argv:
        sys.exit(0 if OUT.read_text() == text else 1)
    OUT.write_text(text)
