-- One database per service (DESIGN.md, "Layout"): each service's read models
-- and projection positions live in its own database, named after it.
--
-- Run by the postgres image on first start (/docker-entrypoint-initdb.d/, via
-- psql, so \gexec works). Idempotent: safe to run again by hand, e.g. against
-- a managed PostgreSQL:  psql "$ADMIN_URL" -f deploy/postgres/init.sql
-- A copy of deploy/postgres/init.sql (kustomize reads only files under
-- k8s/); keep the two the same.

SELECT format('CREATE DATABASE %I', name)
FROM unnest(ARRAY['casefile', 'placements', 'health', 'education', 'notifications']) AS name
WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = name)
\gexec
