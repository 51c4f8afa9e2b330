"""index.html and report.md from the sections: the same figures (PNG shown,
SVG linked) and tables in both, every link relative to the report folder."""
import html


def _html_table(t):
    head = "".join(f"<th>{html.escape(h)}</th>" for h in t.header)
    body = "\n".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in t.rows)
    return (f"<table>\n<caption>{html.escape(t.caption)}</caption>\n<thead><tr>{head}</tr></thead>\n"
            f"<tbody>\n{body}\n</tbody>\n</table>")


def _md_cell(c):
    return str(c).replace("|", "\\|").replace("\n", " ")


def _md_table(t):
    lines = [f"**{t.caption}**", "", "| " + " | ".join(_md_cell(h) for h in t.header) + " |",
             "|" + "---|" * len(t.header)]
    lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in t.rows]
    return "\n".join(lines)


STYLE = """body { font-family: sans-serif; max-width: 72em; margin: 2em auto; padding: 0 1em; color: #222; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.9em; color: #444; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.85em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: right; }
th:first-child, td:first-child { text-align: left; } caption { text-align: left; font-weight: bold; }
.note { color: #844; }"""


def write_html(path, title, preamble, sections):
    parts = [f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
             f"<title>{html.escape(title)}</title>\n<style>\n{STYLE}\n</style>\n</head>\n<body>\n"
             f"<h1>{html.escape(title)}</h1>"]
    parts += [f"<p>{html.escape(p)}</p>" for p in preamble]
    toc = "".join(f"<li><a href=\"#s{k}\">{html.escape(s.title)}</a></li>" for k, s in enumerate(sections))
    parts.append(f"<ul>{toc}</ul>")
    for k, s in enumerate(sections):
        parts.append(f"<h2 id=\"s{k}\">{html.escape(s.title)}</h2>")
        if s.intro:
            parts.append(f"<p>{html.escape(s.intro)}</p>")
        for f in s.figures:
            parts.append(f"<figure>\n<a href=\"figures/{f.stem}.svg\"><img src=\"figures/{f.stem}.png\" "
                         f"alt=\"{html.escape(f.caption)}\"></a>\n<figcaption>{html.escape(f.caption)} "
                         f"(<a href=\"figures/{f.stem}.svg\">SVG</a>, <a href=\"figures/{f.stem}.png\">PNG</a>)"
                         f"</figcaption>\n</figure>")
        parts += [_html_table(t) for t in s.tables]
        parts += [f"<p class=\"note\">{html.escape(n)}</p>" for n in s.notes]
    parts.append("</body>\n</html>\n")
    with open(path, "w") as f:
        f.write("\n".join(parts))


def write_markdown(path, title, preamble, sections):
    parts = [f"# {title}", ""] + [p + "\n" for p in preamble]
    for s in sections:
        parts += [f"## {s.title}", ""]
        if s.intro:
            parts += [s.intro, ""]
        for f in s.figures:
            parts += [f"![{f.caption}](figures/{f.stem}.png)", "",
                      f"*{f.caption}* ([SVG](figures/{f.stem}.svg))", ""]
        for t in s.tables:
            parts += [_md_table(t), ""]
        parts += [f"> {n}\n" for n in s.notes]
    with open(path, "w") as f:
        f.write("\n".join(parts))
