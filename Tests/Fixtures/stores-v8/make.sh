#!/usr/bin/env bash
# Makes small stores with the release before integer keys (commit cb13c1e, schema v1–v8): an office,
# two laptops, and one bundle of the first laptop packed but not yet merged. Tests/Fixtures/stores-v9
# was made with this script too, by commit feeb661 (schema v1–v9), Tests/Fixtures/stores-v10 by
# commit 1e8b75b (schema v1–v10), and Tests/Fixtures/stores-v11 by commit c1ab1a5 (schema v1–v11).
# Usage: make.sh FIELDBOOK_BINARY OUT_DIR
set -euo pipefail
FB=$1
OUT=$2
rm -rf "$OUT"; mkdir -p "$OUT"; cd "$OUT"
export FIELDBOOK_PASSPHRASE=unused
cat > roster.csv <<'CSV'
乡镇,村,类型,村民组,户号,户主,重点户
城关镇,东关村,村,一组,DG001,张建国,五保户
城关镇,东关村,村,一组,DG002,李秀英,低保户;危房改造户
城关镇,东关村,村,二组,DG003,王大力,
城关镇,新华社区,社区,三组,XH001,赵明,
古城乡,西河村,村,二组,GC002,陈静,
CSV
id() { sed -n 's/^Recorded [a-z]* \([0-9a-f-]\{36\}\).*/\1/p' | head -1; }
$FB init --db office.sqlite --central --device 巡察办 --round 五届第五轮
$FB roster import --db office.sqlite roster.csv
$FB categories add --db office.sqlite road-lights --name 路灯维护
$FB keys export --db office.sqlite --out office.fbkey
for n in 1 2; do
  $FB init --db laptop$n.sqlite --device 第一组-笔记本$n --team 第一巡察组 --round 五届第五轮 --inspectors 张三,李四 --office office.fbkey
  $FB enroll --db laptop$n.sqlite --out req
done
for r in req/*; do $FB devices enroll --db office.sqlite --yes "$r"; done
$FB pack --db office.sqlite --roster --out stick
$FB merge --db laptop1.sqlite stick
$FB merge --db laptop2.sqlite stick
V1=$($FB visit --db laptop1.sqlite DG001 --date 2026-11-20 --note 了解惠民政策落实情况 | id)
$FB visit --db laptop1.sqlite DG002 --met 户主本人 --note 反映低保评定不透明 --date 2026-11-20
$FB forum --db laptop1.sqlite 城关镇/东关村 --cadres 3 --members 4 --villagers 11 --topics 低保评定,村务公开 --date 2026-11-20
$FB notice --db laptop1.sqlite 城关镇/东关村 --copies 3 --place 村委会公示栏 --date 2026-11-20
$FB fix --db laptop1.sqlite 城关镇/东关村 --problem 村务公开栏未更新 --action 当场更新公开栏 --category 村务公开 --date 2026-11-20
P1=$($FB problem --db laptop1.sqlite 城关镇/东关村 --summary 低保评定未公示 --category farm-subsidies --from "$V1" --responsible 村支书 --deadline 2026-11-15 --date 2026-11-02 | id)
P2=$($FB problem --db laptop1.sqlite 古城乡/西河村 --summary 村级三资台账缺失 --category village-assets --deadline 2026-12-31 --date 2026-11-03 | id)
$FB rectify --db laptop1.sqlite "$P1" --status rectified --measures 补公示三年低保名单 --date 2026-11-10
$FB transfer --db laptop1.sqlite "$P2" --to discipline --note 线索编号2026-17 --date 2026-11-04
V2=$($FB visit --db laptop1.sqlite XH001 --date 2026-11-21 | id)
$FB delete --db laptop1.sqlite "$V2"
$FB pack --db laptop1.sqlite --out stick1
# The second laptop has the first's changes, edits the same visit's note: a conflict at the office.
$FB merge --db laptop2.sqlite stick1
$FB visit --db laptop2.sqlite GC002 --date 2026-11-22 --note 新华社区走访
$FB visit --db laptop2.sqlite DG999 --new-household --village 城关镇/东关村 --head 孙丽 --priority 低保户 --date 2026-11-22
$FB edit --db laptop2.sqlite "$V1" --set note=笔记本2的记录
$FB edit --db laptop1.sqlite "$V1" --set note=笔记本1的记录
$FB pack --db laptop2.sqlite --out stick2
$FB merge --db office.sqlite stick1
$FB merge --db office.sqlite stick2
# Packed by the first laptop (its edit), not merged anywhere: a bundle of this release for the test.
$FB pack --db laptop1.sqlite --out pending
mv pending/*.fbundle pending.fbundle; rmdir pending
$FB visit --db laptop1.sqlite DG003 --date 2026-11-23 --note 未打包的走访
$FB tally --db office.sqlite --by village --format json > office-tally.json
$FB conflicts --db office.sqlite > /dev/null || true
rm -rf req stick stick1 stick2 office.fbkey
for f in office laptop1 laptop2; do sqlite3 $f.sqlite "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null; rm -f $f.sqlite-wal $f.sqlite-shm; done
ls -la
