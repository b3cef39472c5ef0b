"""The `linli` command: Django's management commands under the project's own name.

    linli demo            build the demo city
    linli serve           serve on 127.0.0.1:8000 with the task worker beside it
    linli serve-prod      serve as in production: PostgreSQL, Redis, gunicorn, the worker and the clock
    linli <command>       any other management command (migrate, db_worker, ...); a dash in its
                          name stands for the underscore of its module (serve-prod: serve_prod)
"""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    arguments = sys.argv[1:]
    if arguments and not arguments[0].startswith("-"):
        arguments[0] = arguments[0].replace("-", "_")
    execute_from_command_line(["linli", *arguments])


if __name__ == "__main__":
    main()
