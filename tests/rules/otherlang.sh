#!/bin/sh
# Posts in a language medflag does not read go to review, never to a
# flag, and the four it reads are never taken for one (otherlang.py).
exec /usr/bin/python3 "$(dirname "$0")/otherlang.py"
