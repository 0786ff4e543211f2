#!/usr/bin/env python3
"""xlsxdump.py - read an .xlsx back from its zip and XML (no openpyxl).

usage: xlsxdump.py FILE sheets          the sheet names, one a line
       xlsxdump.py FILE cells N         sheet N (1-based) as tab-separated
                                        lines, from its first row
       xlsxdump.py FILE setup N         sheet N's frozen rows, paper size,
                                        orientation, fit-to-width, print
                                        titles and column count with a width

Cells: shared and inline strings as they are, numbers in the cell's number
format when it is a percent ("50.0%") and as integers when whole, blanks
empty.  The e2e tests compare this with the CSV of the same report, so a
figure that differs between the formats fails a test.
"""
import re
import sys
import zipfile
import xml.etree.ElementTree as ET

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}


def col_index(ref):
    letters = re.match(r"[A-Z]+", ref).group(0)
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


def load(path):
    z = zipfile.ZipFile(path)
    bad = z.testzip()
    if bad:
        sys.exit("bad member %s" % bad)
    wb = ET.fromstring(z.read("xl/workbook.xml"))
    sheets = [s.get("name") for s in wb.find("m:sheets", NS)]
    shared = []
    if "xl/sharedStrings.xml" in z.namelist():
        for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", NS):
            shared.append("".join(t.text or "" for t in si.iter("{%s}t" % NS["m"])))
    styles = ET.fromstring(z.read("xl/styles.xml"))
    fmts = {}
    nf = styles.find("m:numFmts", NS)
    if nf is not None:
        for f in nf:
            fmts[int(f.get("numFmtId"))] = f.get("formatCode")
    xfs = [int(x.get("numFmtId", "0")) for x in styles.find("m:cellXfs", NS)]
    return z, wb, sheets, shared, fmts, xfs


def cells(path, n):
    z, wb, sheets, shared, fmts, xfs = load(path)
    ws = ET.fromstring(z.read("xl/worksheets/sheet%d.xml" % n))
    out = []
    for row in ws.find("m:sheetData", NS):
        vals = {}
        for c in row:
            i = col_index(c.get("r"))
            t = c.get("t")
            v = c.find("m:v", NS)
            if t == "s":
                vals[i] = shared[int(v.text)]
            elif t == "inlineStr":
                vals[i] = "".join(x.text or "" for x in c.iter("{%s}t" % NS["m"]))
            elif v is None:
                vals[i] = ""
            else:
                x = float(v.text)
                code = fmts.get(xfs[int(c.get("s", "0"))], "")
                if "%" in code:
                    vals[i] = "%.1f%%" % (x * 100)
                elif x == int(x):
                    vals[i] = "%d" % int(x)
                else:
                    vals[i] = "%.6g" % x
        width = max(vals) + 1 if vals else 0
        out.append("\t".join(vals.get(i, "") for i in range(width)))
    return out


def setup(path, n):
    z, wb, sheets, shared, fmts, xfs = load(path)
    ws = ET.fromstring(z.read("xl/worksheets/sheet%d.xml" % n))
    pane = ws.find("m:sheetViews/m:sheetView/m:pane", NS)
    ps = ws.find("m:pageSetup", NS)
    fit = ws.find("m:sheetPr/m:pageSetUpPr", NS)
    cols = ws.find("m:cols", NS)
    titles = ""
    dn = wb.find("m:definedNames", NS)
    if dn is not None:
        for d in dn:
            if d.get("name") == "_xlnm.Print_Titles" and d.get("localSheetId") == str(n - 1):
                titles = d.text.split("!")[-1]
    print("frozen_rows=%s" % (pane.get("ySplit") if pane is not None and pane.get("state") == "frozen" else "0"))
    print("paper=%s" % (ps.get("paperSize") if ps is not None else ""))
    print("orientation=%s" % (ps.get("orientation") if ps is not None else ""))
    print("fit_to_page=%s" % (fit.get("fitToPage") if fit is not None else "0"))
    print("print_titles=%s" % titles)
    print("widths=%d" % (len(cols) if cols is not None else 0))


def main():
    path, what = sys.argv[1], sys.argv[2]
    if what == "sheets":
        for s in load(path)[2]:
            print(s)
    elif what == "cells":
        for line in cells(path, int(sys.argv[3])):
            print(line)
    elif what == "setup":
        setup(path, int(sys.argv[3]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
