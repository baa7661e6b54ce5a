#!/usr/bin/env python3
"""Writes data/world-land-110m.svgpath: the land outline for kaibo's offline map.

Source: Natural Earth 1:110m land (public domain), as TopoJSON in the npm package
world-atlas 2.0.2 (ISC): `npm pack world-atlas@2 && tar xzf world-atlas-2.0.2.tgz`, then
`python3 scripts/make_world_map.py package/land-110m.json`.

Output: one SVG path (`d` attribute) in an equirectangular projection with a 360 × 180
view box: x = longitude + 180, y = 90 − latitude, one decimal.
"""
import json
import sys

topo = json.load(open(sys.argv[1]))
sx, sy = topo["transform"]["scale"]
tx, ty = topo["transform"]["translate"]

arcs = []
for arc in topo["arcs"]:
    x = y = 0
    pts = []
    for dx, dy in arc:
        x += dx
        y += dy
        pts.append((x * sx + tx, y * sy + ty))
    arcs.append(pts)

def ring(indexes):
    pts = []
    for i in indexes:
        a = arcs[i] if i >= 0 else list(reversed(arcs[~i]))
        pts.extend(a if not pts else a[1:])
    return pts

def rings_of(geom):
    if geom["type"] == "Polygon":
        return [ring(r) for r in geom["arcs"]]
    if geom["type"] == "MultiPolygon":
        return [ring(r) for poly in geom["arcs"] for r in poly]
    return []

parts = []
for geom in topo["objects"]["land"]["geometries"]:
    for r in rings_of(geom):
        coords = []
        last = None
        for lon, lat in r:
            p = (round(lon + 180, 1), round(90 - lat, 1))
            if p != last:
                coords.append(p)
                last = p
        if len(coords) < 3:
            continue
        # Rings that cross the antimeridian (Chukotka, Fiji) jump from one edge of the map
        # to the other: start a new subpath there instead of drawing a line across the world.
        runs = [[coords[0]]]
        for prev, cur in zip(coords, coords[1:]):
            if abs(cur[0] - prev[0]) > 180:
                runs.append([])
            runs[-1].append(cur)
        for run in runs:
            if len(run) >= 2:
                parts.append("M" + "L".join(f"{x:g} {y:g}" for x, y in run) + ("Z" if len(runs) == 1 else ""))

out = "data/world-land-110m.svgpath"
with open(out, "w") as f:
    f.write("".join(parts) + "\n")
print(out, sum(len(p) for p in parts), "bytes,", len(parts), "rings")
