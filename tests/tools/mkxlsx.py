#!/usr/bin/env python3
# mkxlsx.py CSV XLSX - write the rows of a UTF-8 CSV file as the first
# sheet of a minimal .xlsx workbook (what Excel or WPS would save), for
# the tests of `huce-syncd admin import FILE.xlsx`.  Text goes to the
# shared strings table; a cell of digits only is written as a number, as
# a spreadsheet stores a typed number.  Python's standard library only.
import csv
import sys
import zipfile
from xml.sax.saxutils import escape


def col(n):
    s = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def main():
    src, dst = sys.argv[1], sys.argv[2]
    with open(src, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    strings, index, sheet_rows = [], {}, []
    for i, row in enumerate(rows):
        cells = []
        for j, v in enumerate(row):
            ref = "%s%d" % (col(j), i + 1)
            if v == "":
                continue
            if v.isdigit() and len(v) < 10:
                cells.append('<c r="%s"><v>%s</v></c>' % (ref, v))
                continue
            if v not in index:
                index[v] = len(strings)
                strings.append(v)
            cells.append('<c r="%s" t="s"><v>%d</v></c>' % (ref, index[v]))
        sheet_rows.append('<row r="%d">%s</row>' % (i + 1, "".join(cells)))
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    files = {
        "[Content_Types].xml":
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
            '</Types>',
        "_rels/.rels":
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="%s/officeDocument" Target="xl/workbook.xml"/>'
            '</Relationships>' % rel,
        "xl/workbook.xml":
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<workbook %s xmlns:r="%s"><sheets>'
            '<sheet name="农户" sheetId="1" r:id="rId1"/></sheets></workbook>' % (ns, rel),
        "xl/_rels/workbook.xml.rels":
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="%s/worksheet" Target="worksheets/sheet1.xml"/>'
            '<Relationship Id="rId2" Type="%s/sharedStrings" Target="sharedStrings.xml"/>'
            '</Relationships>' % (rel, rel),
        "xl/worksheets/sheet1.xml":
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<worksheet %s><sheetData>%s</sheetData></worksheet>' % (ns, "".join(sheet_rows)),
        "xl/sharedStrings.xml":
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<sst %s count="%d" uniqueCount="%d">%s</sst>' % (
                ns, len(strings), len(strings),
                "".join("<si><t>%s</t></si>" % escape(s) for s in strings)),
    }
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text.encode("utf-8"))


main()
