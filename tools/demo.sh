#!/bin/sh
# The main job, shown to a new user by `make demo`.
build=$1
nipc="$build/tools/nipc"
echo "\$ nipc key format posix /myapp"
"$nipc" key format posix /myapp
echo "\$ nipc key legacy --os linux shm systemv org.example.myapp"
"$nipc" key legacy --os linux shm systemv org.example.myapp
echo "\$ nipc key parse 'systemv-84:/tmp/x?legacyKey=app' --json"
"$nipc" key parse 'systemv-84:/tmp/x?legacyKey=app' --json
