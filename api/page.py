"""The human page of the API (/api/v1/): endpoints, parameters and examples in Spanish and English, built from the
OpenAPI document so the two cannot drift. Plain HTML, no script; every text is escaped."""
from __future__ import annotations

from html import escape

from api.openapi import DOCUMENT, PARAMETERS


def _param_rows(op: dict) -> str:
    rows = []
    for ref in op["parameters"]:
        p = PARAMETERS[ref["$ref"].rsplit("/", 1)[1]]
        sch = p["schema"]
        kind = ", ".join(sch["enum"]) if "enum" in sch else sch["type"]
        default = f" (= {sch['default']})" if "default" in sch else ""
        rows.append(f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(kind + default)}</td>"
                    f"<td>{escape(p.get('x-description-es', ''))}</td><td>{escape(p['description'])}</td></tr>")
    return "".join(rows)


def render() -> str:
    parts = []
    for path, item in DOCUMENT["paths"].items():
        op = item["get"]
        examples = "".join(f'<li><a href="{escape(e)}"><code>{escape(e)}</code></a></li>' for e in op["x-examples"])
        parts.append(f"""
<section class="mb-5" id="{escape(path.rsplit('/', 1)[1])}">
  <h3 class="h4"><code>GET {escape(path)}</code> — {escape(op['x-summary-es'])} / {escape(op['summary'])}</h3>
  <p>{escape(op['description'])}</p>
  <table class="table table-sm">
    <thead><tr><th>Parámetro / Parameter</th><th>Valores / Values</th><th>Español</th><th>English</th></tr></thead>
    <tbody>{_param_rows(op)}</tbody>
  </table>
  <p class="mb-1"><strong>Ejemplos / Examples</strong></p><ul>{examples}</ul>
</section>""")
    return f"""<!doctype html>
<html lang="es"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>API pública — Observatorio de Seguridad Ciudadana</title>
<link rel="stylesheet" href="/assets/01_bootstrap.min.css">
</head><body><main class="container py-4" style="max-width: 1100px">
<p><a href="/">← Observatorio de Seguridad Ciudadana</a> ·
<a href="/metodologia">Fuentes y metodología</a> · <a href="/methodology?lang=en">Sources and methodology</a></p>
<h1>API pública de datos <small class="text-muted">/ Public data API</small></h1>
<div class="row">
<div class="col-md-6" lang="es">
<h2 class="h5">En español</h2>
<p>Acceso de solo lectura a las cifras publicadas que muestra el tablero. Cada cifra lleva su fuente; un dato no
publicado es una fila ausente o un valor nulo, nunca un cero. Respuestas en JSON o, con <code>format=csv</code>, en
CSV UTF-8. Las listas se paginan: <code>limit</code> (predeterminado 1000, máximo 10000) y <code>offset</code>; la
respuesta trae <code>total</code> y el enlace <code>next</code>. Un parámetro o valor desconocido da un error 400 con
un mensaje que lo nombra. CORS abierto para GET. Uso libre; cite la fuente de cada cifra
(<code>source_citation</code>) y la versión de los datos.</p>
</div>
<div class="col-md-6" lang="en">
<h2 class="h5">In English</h2>
<p>Read-only access to the published figures behind the dashboard. Every figure carries its source; an unpublished
figure is an absent row or a null, never a zero. Answers in JSON or, with <code>format=csv</code>, UTF-8 CSV. Lists
are paginated: <code>limit</code> (default 1000, at most 10000) and <code>offset</code>; the answer carries
<code>total</code> and a <code>next</code> link. An unknown parameter or value gives a 400 error whose message names
it. CORS is open for GET. Free to use; cite each figure's source (<code>source_citation</code>) and the data
version.</p>
</div></div>
<p>OpenAPI 3: <a href="/api/v1/openapi.json"><code>/api/v1/openapi.json</code></a> ·
Versión de los datos / Data version: <a href="/api/v1/version"><code>/api/v1/version</code></a></p>
<h2 class="h3 mt-4">Recursos / Endpoints</h2>
{''.join(parts)}
</main></body></html>
"""
