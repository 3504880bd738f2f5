#!/bin/sh
# Chooses what the Belonging image runs (deploy/Dockerfile):
#
#   no arguments, SERVICE=casefile   -> python -m services.casefile
#   one argument naming a service    -> python -m services.<that service>
#   anything else                    -> run as given (python -m services.casefile,
#                                       belonging replay ..., sh)
set -eu

SERVICES="casefile placements health education notifications"

is_service() {
    for known in $SERVICES; do
        [ "$known" = "$1" ] && return 0
    done
    return 1
}

if [ "$#" -eq 0 ]; then
    if [ -z "${SERVICE:-}" ]; then
        echo "belonging: set SERVICE to one of: $SERVICES (or give a command)" >&2
        exit 64
    fi
    if ! is_service "$SERVICE"; then
        echo "belonging: SERVICE=$SERVICE is not one of: $SERVICES" >&2
        exit 64
    fi
    set -- "$SERVICE"
fi

if [ "$#" -eq 1 ] && is_service "$1"; then
    export SERVICE="$1"
    export SERVICE_NAME="${SERVICE_NAME:-$1}"
    exec python -m "services.$1"
fi

exec "$@"
