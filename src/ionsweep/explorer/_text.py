"""Store text shown as text: a store's title, names, labels and units may come from anyone.

Every string read from a store reaches the page through one of a few doors. Where the
browser reads it as HTML (Panel's HTML pane, the label and value of a discrete slider,
which Bokeh also scans for TeX, and the value templates of Bokeh tooltips, which it scans
for ``@field`` and ``$var``) it goes through :func:`html_text`. Where Bokeh would parse it
for TeX on the canvas (figure titles, axis and colour-bar labels) it is wrapped as plain
text (``_figures``). Widget titles and select options are set as DOM text by Bokeh and
need nothing. Markdown is never fed store text: its link and image syntax survives
escaping.

Examples
--------
>>> html_text('<img src=x onerror="alert(1)">')
'&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
>>> html_text(r"K+ @x $$\\alpha$$")
'K+ &#64;x &#36;&#36;&#92;alpha&#36;&#36;'
"""

from __future__ import annotations

from html import escape

__all__ = ["html_text"]

# Beyond HTML's own: Bokeh finds TeX ($$…$$, \[…\], \(…\)) and tooltip placeholders
# (@field, $var) in the HTML source; as character references the browser shows the
# characters themselves and neither is found.
_MORE = str.maketrans({"$": "&#36;", "\\": "&#92;", "@": "&#64;"})


def html_text(value) -> str:
    """``str(value)`` as HTML source that the browser shows as exactly that text.

    ``& < > " '`` become character references, and so do ``$``, ``\\`` and ``@``, so that
    neither markup nor TeX nor a Bokeh tooltip placeholder is left in it.
    """
    return escape(str(value), quote=True).translate(_MORE)
