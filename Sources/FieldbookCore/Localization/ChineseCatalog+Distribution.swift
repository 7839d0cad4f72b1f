extension ChineseCatalog {
    /// The Chinese of the distribution part's messages: the top-level command (`--version`, options
    /// before the subcommand, a mistyped subcommand) and the quick start.
    static let distribution: [(String, String)] = [
        ("Bundle formats: reads {1}; writes {2} (plain, a store without keys) and {3} (signed and encrypted).", "数据包格式：可读 {1}；写出 {2}（未加密，用于无密钥的数据库）和 {3}（签名并加密）。"),
        ("Store schema: {1}.", "数据库结构版本：{1}。"),
        ("The store file (default: $FIELDBOOK_DB, or fieldbook.sqlite here).", "数据库文件（默认：$FIELDBOOK_DB，否则为当前文件夹的 fieldbook.sqlite）。"),
        ("another fieldbook command", "另一个 fieldbook 命令"),
        ("waiting for {1} to finish with {2}…", "正在等待{1}用完 {2}……"),
        ("FIELDBOOK_NOW must be an ISO 8601 time such as 2026-11-21T09:00:00+08:00, not {1}.", "FIELDBOOK_NOW 须为 ISO 8601 时间，如 2026-11-21T09:00:00+08:00，不能是 {1}。"),
        ("{1} is not a {2} command. `{3} --help` lists the commands.", "{2} 没有 {1} 这个命令。`{3} --help` 列出全部命令。"),
        ("{1} is not a {2} command. Did you mean {3}?", "{2} 没有 {1} 这个命令。是否要用 {3}？"),
        ("Print a one-page guide: install, set up the office and a laptop, record, pack, merge, tally.", "打印一页上手指南：安装、设置巡察办和笔记本、记录、打包、合并、统计。"),
        (
            "quickstart",
            """
            Fieldbook 快速上手

            安装：把 fieldbook 文件复制到 PATH 中的文件夹，例如
              sudo install -m 755 fieldbook /usr/local/bin/
            适用于 glibc 2.35 或更新版本的 64 位 Linux（x86_64，用 `ldd --version` 查看）：
            Debian 12、Ubuntu 22.04 及更新版本，以及基于同代系统的统信 UOS、麒麟 Kylin。
            需要 libsqlite3 和 zlib，这些系统一般已自带；如没有：
              sudo apt-get install libsqlite3-0 zlib1g
            检查：fieldbook --version

            巡察办（只做一次）：
              fieldbook init --db office.sqlite --central --device 巡察办
              fieldbook keys backup --db office.sqlite --out office-keys.backup   （备份另行保管，不放在本机）
              fieldbook keys export --db office.sqlite --out office.fbkey       （发给各巡察组）
              fieldbook roster import --db office.sqlite roster.csv
                （Excel 或 WPS 保存的 CSV，列为 乡镇,村,类型,村民组,户号,户主,重点户）
            每台巡察组笔记本：
              fieldbook init --device 第一巡察组-笔记本1 --team 第一巡察组 --round 五届第五轮 \\
                --inspectors 张三,李四 --office office.fbkey
              fieldbook enroll --out 优盘        （把屏幕上的指纹念给巡察办核对）
            巡察办：fieldbook devices enroll --db office.sqlite 优盘/登记申请.fbenroll
              然后 fieldbook pack --db office.sqlite --roster --out 优盘
            笔记本：fieldbook merge 优盘

            在村里：
              fieldbook visit DG001 --met 户主本人 --note "…"
              fieldbook forum 城关镇/东关村 --participants 12
              fieldbook notice 城关镇/东关村 --copies 3 --place 村委会公示栏
              fieldbook list        fieldbook status
            每天晚上：fieldbook pack --out 优盘   （把优盘带回巡察办）

            巡察办：fieldbook merge --db office.sqlite 优盘
              fieldbook tally --db office.sqlite --by township

            --db 文件 也可写在命令前：fieldbook --db office.sqlite status。
            fieldbook --help 列出全部命令；fieldbook 命令 --help 说明其中一个。
            FIELDBOOK_LANG=en 或 zh 选择界面语言（默认按 LANG）。
            """
        ),
    ]
}
