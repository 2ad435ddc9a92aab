#!/bin/sh
# Expect lines and the blind half stay apart (apart.py).
exec /usr/bin/python3 "$(dirname "$0")/apart.py"
