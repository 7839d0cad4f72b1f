#!/usr/bin/env bash
# Makes two small stores with the release before problems (commit e487b8f): an office and a laptop.
set -euo pipefail
FB=/work/wt-old/.build/debug/fieldbook
OUT=$1
rm -rf "$OUT"; mkdir -p "$OUT"; cd "$OUT"
cat > roster.csv <<'CSV'
乡镇,村,类型,村民组,户号,户主,重点户
城关镇,东关村,村,一组,DG001,张建国,五保户
城关镇,东关村,村,一组,DG002,李秀英,低保户;危房改造户
城关镇,东关村,村,二组,DG003,王大力,
城关镇,新华社区,社区,三组,XH001,赵明,
古城乡,东关村,村,一组,GC001,刘海,低保
古城乡,西河村,,二组,GC002,陈静,weifang
CSV
$FB init --db office.sqlite --central --device 巡察办 --round 五届第五轮
$FB roster import --db office.sqlite roster.csv
$FB keys export --db office.sqlite --out office.fbkey || true
$FB init --db laptop.sqlite --device 第一组-笔记本1 --team 第一巡察组 --round 五届第五轮 --inspectors 张三,李四 --office office.fbkey
$FB enroll --db laptop.sqlite --out req
$FB devices enroll --db office.sqlite --yes req/*
$FB pack --db office.sqlite --roster --out stick
$FB merge --db laptop.sqlite stick
$FB visit --db laptop.sqlite DG001 --date 2026-11-20
$FB visit --db laptop.sqlite DG002 --met 户主本人 --note 反映低保评定不透明 --date 2026-11-20
$FB forum --db laptop.sqlite 城关镇/东关村 --cadres 3 --members 4 --villagers 11 --topics 低保评定,村务公开 --date 2026-11-20
$FB notice --db laptop.sqlite 城关镇/东关村 --copies 3 --place 村委会公示栏 --date 2026-11-20
$FB fix --db laptop.sqlite 城关镇/东关村 --problem 村务公开栏未更新 --action 当场更新公开栏 --category 村务公开 --date 2026-11-20
$FB pack --db laptop.sqlite --out stick2
$FB merge --db office.sqlite stick2
$FB visit --db laptop.sqlite GC001 --date 2026-11-21 --note 未打包的走访
$FB tally --db office.sqlite --by village --format json > office-tally.json
for f in office laptop; do sqlite3 $f.sqlite "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null; done
ls -la
