-- btree_gist: exclusion constraints that mix equality (clinician) with range overlap (time).
-- pgcrypto: gen_random_uuid() and digests inside SQL.
CREATE EXTENSION IF NOT EXISTS btree_gist;
--> statement-breakpoint
CREATE EXTENSION IF NOT EXISTS pgcrypto;
