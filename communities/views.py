from django.http import HttpRequest, HttpResponse


def landing(request: HttpRequest) -> HttpResponse:
    return HttpResponse("Last100")  # replaced by the landing page


def rules_page(request: HttpRequest, slug: str) -> HttpResponse:
    return HttpResponse(slug)  # replaced by the rules page
