#!/bin/sh
echo "coverage is not available in berth's offline build" >&2
exit 1
