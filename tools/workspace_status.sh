#!/bin/bash
# Bazel's --workspace_status_command: stamps the version into binaries.
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  commit="${commit}-dirty"
fi
echo "STABLE_GIT_COMMIT ${commit}"
echo "STABLE_COMMIT_TIME $(git log -1 --format=%cI 2>/dev/null || echo unknown)"
