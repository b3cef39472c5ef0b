"""Which files of the front-end packages Linli serves.

``STATICFILES_DIRS`` names whole folders of ``node_modules`` (``vendor/fullcalendar`` holds
nearly 500 files, every locale and module format). Pages load a handful of them, and those
name a few more (fonts, images, source maps). ``VendorFilesFinder`` finds, and
``collectstatic`` collects, only the files listed here, so production's collected,
compressed static files hold what pages use (about 400 files instead of 7,000, collected in
seconds instead of minutes), and development answers 404 for the same files production lacks.
A folder of ``STATICFILES_DIRS`` not listed here is served whole. ``AppFilesFinder`` leaves out
the files of installed apps' static folders that no page loads (``APP_FILES_UNUSED``).
"""

import fnmatch
import os

from django.contrib.staticfiles.finders import AppDirectoriesFinder, FileSystemFinder

# prefix in STATICFILES_DIRS -> patterns of the paths below it that pages use ("*.js*": the
# script and its source map, which the minified file names and the manifest storage checks).
VENDOR_FILES = {
    "vendor/htmx": ["htmx.min.js"],
    "vendor/bootstrap": ["css/bootstrap.min.css*", "js/bootstrap.bundle.min.js*"],
    "vendor/bootstrap-icons": ["bootstrap-icons.min.css", "fonts/*"],
    "vendor/chartjs": ["chart.umd.min.js*"],
    "vendor/leaflet": ["leaflet.css", "leaflet.js*", "images/*"],
    "vendor/fullcalendar": ["index.global.min.js"],
    "vendor/fullcalendar-core": ["locales/zh-cn.global.min.js"],
}


# Files of installed apps' static folders no page loads: django-htmx's copies of htmx (pages load the
# one from node_modules) and ninja's ReDoc (the API documentation is Swagger UI).
APP_FILES_UNUSED = ["django_htmx/*", "ninja/redoc*"]


def vendor_file_used(prefix: str, path: str) -> bool:
    """Whether ``path`` (below the folder of ``prefix``) is one pages use; True for a folder not listed."""
    patterns = VENDOR_FILES.get(prefix)
    path = path.replace(os.sep, "/")
    return patterns is None or any(fnmatch.fnmatchcase(path, pattern) for pattern in patterns)


class VendorFilesFinder(FileSystemFinder):
    """``FileSystemFinder`` over ``STATICFILES_DIRS``, keeping only the files ``VENDOR_FILES`` lists."""

    def find_location(self, root, path, prefix=None):
        if prefix and path.startswith(f"{prefix}/") and not vendor_file_used(prefix, path.removeprefix(f"{prefix}/")):
            return None
        return super().find_location(root, path, prefix)

    def list(self, ignore_patterns):
        for path, storage in super().list(ignore_patterns):
            if vendor_file_used(getattr(storage, "prefix", "") or "", path):
                yield path, storage


class AppFilesFinder(AppDirectoriesFinder):
    """``AppDirectoriesFinder`` without the files of ``APP_FILES_UNUSED``."""

    def find_in_app(self, app, path):
        if any(fnmatch.fnmatchcase(path.replace(os.sep, "/"), pattern) for pattern in APP_FILES_UNUSED):
            return None
        return super().find_in_app(app, path)

    def list(self, ignore_patterns):
        for path, storage in super().list(ignore_patterns):
            if not any(fnmatch.fnmatchcase(path.replace(os.sep, "/"), pattern) for pattern in APP_FILES_UNUSED):
                yield path, storage
