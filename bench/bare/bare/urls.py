"""
URL configuration for bare project.

The `urlpatterns` list routes URLs to views. For more information please see:
    https://docs.djangoproject.com/en/5.2/topics/http/urls/
Examples:
Function views
    1. Add an import:  from my_app import views
    2. Add a URL to urlpatterns:  path('', views.home, name='home')
Class-based views
    1. Add an import:  from other_app.views import Home
    2. Add a URL to urlpatterns:  path('', Home.as_view(), name='home')
Including another URLconf
    1. Import the include() function: from django.urls import include, path
    2. Add a URL to urlpatterns:  path('blog/', include('blog.urls'))
"""

from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import path

# bench redirects: one view returning a 302 to a destination as long as a short link's.
DESTINATION = (
    "https://shop.example.com/spring?ref=bench&utm_source=x&utm_medium=social"
    "&utm_campaign=spring&sc_cid=00000000000000000000000000000000"
)


def redirect(request, code):
    return HttpResponseRedirect(DESTINATION)


urlpatterns = [
    path("admin/", admin.site.urls),
    path("l/<str:code>", redirect),
]
