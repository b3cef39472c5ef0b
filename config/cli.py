"""The `linli` command: Django's management commands under the project's own name.

    linli demo            build the demo city
    linli run             serve on 127.0.0.1:8000 with the task worker beside it
    linli <command>       any other management command (migrate, db_worker, ...)
"""

import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["linli", *sys.argv[1:]])


if __name__ == "__main__":
    main()
