import ArgumentParser
import FieldbookCore

extension Fieldbook {
    /// `fieldbook quickstart`: the first steps at the office and on a laptop, in a page. The
    /// distribution archive carries it in Chinese as 快速上手.txt (Scripts/dist).
    struct Quickstart: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: tr("Print a one-page guide: install, set up the office and a laptop, record, pack, merge, tally."))

        func run() throws {
            print(Self.text)
        }

        static var text: String {
            tr(id: "quickstart", """
                Fieldbook: quick start

                Install: copy the fieldbook file into a folder on PATH, e.g.
                  sudo install -m 755 fieldbook /usr/local/bin/
                It runs on 64-bit Linux (x86_64) with glibc 2.35 or later (see `ldd --version`):
                Debian 12, Ubuntu 22.04 and later, and UOS (统信) or Kylin (麒麟) on as new a base.
                It needs libsqlite3 and zlib, which these systems have; if not:
                  sudo apt-get install libsqlite3-0 zlib1g
                Check it with: fieldbook --version

                At the office (巡察办), once:
                  fieldbook init --db office.sqlite --central --device 巡察办
                  fieldbook keys backup --db office.sqlite --out office-keys.backup   (keep it off this machine)
                  fieldbook keys export --db office.sqlite --out office.fbkey       (for the teams)
                  fieldbook roster import --db office.sqlite roster.csv
                    (a CSV from Excel or WPS with the columns 乡镇,村,类型,村民组,户号,户主,重点户)
                On each team's laptop:
                  fieldbook init --device 第一巡察组-笔记本1 --team 第一巡察组 --round 五届第五轮 \\
                    --inspectors 张三,李四 --office office.fbkey
                  fieldbook enroll --out STICK        (read the fingerprint to the office)
                At the office: fieldbook devices enroll --db office.sqlite STICK/REQUEST.fbenroll
                  then fieldbook pack --db office.sqlite --roster --out STICK
                On the laptop: fieldbook merge STICK

                In the village:
                  fieldbook visit DG001 --met 户主本人 --note "…"
                  fieldbook forum 城关镇/东关村 --participants 12
                  fieldbook notice 城关镇/东关村 --copies 3 --place 村委会公示栏
                  fieldbook list        fieldbook status
                Every evening: fieldbook pack --out STICK   (carry the stick to the office)

                At the office: fieldbook merge --db office.sqlite STICK
                  fieldbook tally --db office.sqlite --by township

                --db FILE may come before the command: fieldbook --db office.sqlite status.
                fieldbook --help lists the commands; fieldbook COMMAND --help explains one.
                FIELDBOOK_LANG=en or zh chooses the language (default: from LANG).
                """)
        }
    }
}
