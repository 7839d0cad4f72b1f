PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-65536;
ATTACH 'SOURCE' AS src;
CREATE TABLE rid (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE);
CREATE TABLE dev (id INTEGER PRIMARY KEY, uuid TEXT NOT NULL UNIQUE);
CREATE TABLE change2 (id INTEGER PRIMARY KEY, device INTEGER NOT NULL, seq INTEGER NOT NULL, hlc INTEGER NOT NULL, kind INTEGER NOT NULL,
  record INTEGER NOT NULL, op INTEGER NOT NULL, fields TEXT NOT NULL, base TEXT NOT NULL DEFAULT '{}', UNIQUE (device, seq));
CREATE INDEX change2_by_record ON change2(record);
CREATE TABLE visit2 (id INTEGER PRIMARY KEY, round INTEGER NOT NULL, household INTEGER NOT NULL, date TEXT NOT NULL, inspectors TEXT NOT NULL,
  met TEXT, note TEXT, issues TEXT, follow_up TEXT, deleted INTEGER NOT NULL DEFAULT 0, created_by INTEGER NOT NULL, created_hlc INTEGER NOT NULL, updated_hlc INTEGER NOT NULL);
CREATE TABLE other2 (id INTEGER PRIMARY KEY, village INTEGER, round INTEGER, body TEXT, deleted INTEGER NOT NULL DEFAULT 0, created_by INTEGER, created_hlc INTEGER, updated_hlc INTEGER);
-- the staged rows
.timer on
BEGIN;
INSERT INTO dev (uuid) SELECT id FROM src.device;
INSERT OR IGNORE INTO rid (uuid) SELECT record_id FROM temp.sc ORDER BY id;
INSERT OR IGNORE INTO rid (uuid) SELECT household_id FROM temp.sv;
INSERT OR IGNORE INTO rid (uuid) SELECT round_id FROM temp.sv;
INSERT INTO change2 (device, seq, hlc, kind, record, op, fields, base)
  SELECT (SELECT id FROM dev WHERE uuid = device_id), seq, hlc, 1, (SELECT id FROM rid WHERE uuid = record_id), 1, fields, base FROM temp.sc ORDER BY id;
INSERT INTO visit2 SELECT (SELECT id FROM rid WHERE uuid = v.id), (SELECT id FROM rid WHERE uuid = v.round_id), (SELECT id FROM rid WHERE uuid = v.household_id),
  date, inspectors, met, note, issues, follow_up, deleted, (SELECT id FROM dev WHERE uuid = v.created_by), created_hlc, updated_hlc FROM temp.sv v;
INSERT INTO other2 SELECT (SELECT id FROM rid WHERE uuid = o.id), 0, 0, body, deleted, 0, created_hlc, updated_hlc FROM temp.so o;
COMMIT;
PRAGMA cache_size=-16384; PRAGMA threads=1;
CREATE INDEX visit2_tally ON visit2(household, round, date, created_by) WHERE deleted = 0;
PRAGMA wal_checkpoint(TRUNCATE);
