"""SVG logos rebuilt from an allowlist: what draws shapes and text stays, everything else goes.

An allowlist, not a blocklist, because SVG's ways to run code or fetch a resource keep growing
(``<script>``, ``on*`` handlers, ``<foreignObject>`` with HTML inside, ``<use href>`` to another
file, ``style`` with ``url()``/``@import``, animation elements that set ``href``). The parser is
``defusedxml``'s: a DTD, an entity (the "billion laughs") or an external reference is refused before
a node is built.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from portal.services.errors import InvalidInput

__all__ = ["MAX_ELEMENTS", "sanitise_svg"]

_SVG = "http://www.w3.org/2000/svg"
_XLINK = "http://www.w3.org/1999/xlink"
MAX_ELEMENTS = 5000
_ELEMENTS = frozenset({
    "svg", "g", "path", "rect", "circle", "ellipse", "line", "polyline", "polygon", "text", "tspan",
    "defs", "linearGradient", "radialGradient", "stop", "clipPath", "mask", "symbol", "use", "title", "desc",
})
_ATTRIBUTES = frozenset({
    "id", "class", "viewBox", "width", "height", "x", "y", "x1", "y1", "x2", "y2", "cx", "cy", "r", "rx", "ry",
    "d", "points", "transform", "fill", "fill-opacity", "fill-rule", "stroke", "stroke-width", "stroke-opacity",
    "stroke-linecap", "stroke-linejoin", "stroke-miterlimit", "stroke-dasharray", "stroke-dashoffset", "opacity",
    "clip-path", "clip-rule", "mask", "offset", "stop-color", "stop-opacity", "gradientUnits", "gradientTransform",
    "spreadMethod", "fx", "fy", "font-family", "font-size", "font-weight", "font-style", "text-anchor",
    "dominant-baseline", "letter-spacing", "preserveAspectRatio", "version", "dx", "dy", "visibility", "display",
    "clipPathUnits", "maskUnits", "maskContentUnits",
})
#: A reference may only point inside the document: ``url(#id)`` in a paint or clip, ``#id`` in href.
_URL = re.compile(r"url\s*\(", re.IGNORECASE)
_LOCAL_URL = re.compile(r"^\s*url\(\s*#[A-Za-z_][\w.-]*\s*\)\s*$")
_LOCAL_HREF = re.compile(r"^#[A-Za-z_][\w.-]*$")


def _local(name: str) -> tuple[str | None, str]:
    if name.startswith("{"):
        namespace, _, local = name[1:].partition("}")
        return namespace, local
    return None, name


def _clean_attributes(source: ET.Element, target: ET.Element) -> None:
    for name, value in source.attrib.items():
        namespace, local = _local(name)
        if (namespace == _XLINK or namespace is None) and local == "href":
            if _LOCAL_HREF.match(value.strip()):
                target.set("href", value.strip())
            continue
        if namespace is not None or local not in _ATTRIBUTES:
            continue  # on* handlers, style, xml:base, foreign namespaces
        if _URL.search(value) and not _LOCAL_URL.match(value):
            continue
        target.set(local, value)


def _copy(source: ET.Element, budget: list[int]) -> ET.Element | None:
    namespace, local = _local(source.tag)
    if namespace != _SVG or local not in _ELEMENTS:
        return None
    budget[0] -= 1
    if budget[0] < 0:
        raise InvalidInput(f"an SVG logo has at most {MAX_ELEMENTS} elements")
    target = ET.Element(f"{{{_SVG}}}{local}")
    _clean_attributes(source, target)
    if local in ("text", "tspan", "title", "desc"):
        target.text = source.text
    for child in source:
        copied = _copy(child, budget)
        if copied is not None:
            target.append(copied)
            if local in ("text", "tspan"):
                copied.tail = child.tail
    return target


def sanitise_svg(data: bytes) -> bytes:
    """The SVG rebuilt from its allowed parts. Raises ``InvalidInput`` when it is not a readable SVG."""
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise InvalidInput("an SVG logo may not declare a DTD or entities") from exc
    except ET.ParseError as exc:
        raise InvalidInput("the SVG could not be read as XML") from exc
    if _local(root.tag) != (_SVG, "svg"):
        raise InvalidInput("the file is XML but not an SVG image")
    cleaned = _copy(root, [MAX_ELEMENTS])
    assert cleaned is not None
    if not (cleaned.get("viewBox") or (cleaned.get("width") and cleaned.get("height"))):
        raise InvalidInput("an SVG logo needs a viewBox (or a width and a height) to be scaled")
    ET.register_namespace("", _SVG)
    return ET.tostring(cleaned, encoding="utf-8", xml_declaration=False)
