import csv
import json
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render

from . import opendata


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"datasets": opendata.datasets()})


def open_data(request: HttpRequest) -> HttpResponse:
    return render(request, "core/open_data.html", {"datasets": opendata.datasets()})


class _Echo:
    def write(self, value: str) -> str:
        return value


def open_data_download(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    ds = opendata.dataset(slug)
    if ds is None or fmt not in ds.formats:
        raise Http404("no such dataset or format")
    filename = f"minga-{ds.slug}.{fmt}"
    if fmt == "csv":
        writer = csv.DictWriter(_Echo(), fieldnames=list(ds.columns), extrasaction="ignore")

        def lines() -> Any:
            yield writer.writeheader()
            for row in ds.rows():
                yield writer.writerow({k: _csv_cell(v) for k, v in row.items()})

        response: HttpResponse = StreamingHttpResponse(  # type: ignore[assignment] # streamed
            lines(), content_type="text/csv; charset=utf-8"
        )
    else:
        body = {
            "dataset": ds.slug,
            "name": str(ds.name),
            "licence": ds.licence,
            "columns": list(ds.columns),
            "rows": [{c: row.get(c) for c in ds.columns} for row in ds.rows()],
        }
        response = HttpResponse(
            json.dumps(body, ensure_ascii=False, default=str),
            content_type="application/json; charset=utf-8",
        )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv_cell(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else value
