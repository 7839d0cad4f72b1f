import ArgumentParser
import FieldbookCore
import Foundation

extension Fieldbook {
    struct Demo: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: tr("Run the whole pipeline on a generated district: laptops, bundles, the office's merge, the tally."),
            discussion: tr(id: "help.demo.discussion", """
                Generates a district like 睢阳区 (19 townships, 349 villages and communities), simulates five \
                rounds of inspection teams recording on their laptops, swapping bundles and carrying sticks \
                to the office (one copied twice, one truncated), merges everything into the office's store and \
                prints the district tally. The same seed writes the same bytes.
                """))

        @Option(help: ArgumentHelp(tr("The folder to write stores, bundles and the report into."))) var dir = "fieldbook-demo"
        @Option(help: ArgumentHelp(tr("The seed: the same seed, the same district and the same files."))) var seed: UInt64 = 2026
        @Option(help: ArgumentHelp(tr("district (睢阳区, 349 villages), province (≈10,000 villages, 1,000,000 visits) or sample (7 villages).")))
        var scale = "district"

        func validate() throws {
            guard ["district", "province", "sample"].contains(scale) else {
                throw ValidationError(tr("--scale takes district, province or sample, not \(scale.oneLine)."))
            }
        }

        func run() throws {
            let sizes: DemoDistrict.Scale = scale == "province" ? .province : scale == "sample" ? .sample : .district
            let started = Date()
            print(tr("Fieldbook demo: a district's year of village inspections (seed \(seed), scale \(scale))"))
            print("")
            let report = try FieldbookCore.Demo.run(in: dir, seed: seed, scale: sizes) { print("  " + $0) }
            print("")
            print(tr("At the office, after each round: \(report.outcomes.count) bundle files merged from the sticks"))
            var merged = 0, already = 0
            var seen = Set<String>()
            for outcome in report.outcomes {
                let copy = outcome.manifest.map { !seen.insert($0.bundleID).inserted } ?? false
                let name = (outcome.path as NSString).lastPathComponent.oneLine
                switch outcome.status {
                case .merged: merged += 1
                case .alreadyMerged:
                    already += 1
                    // Bundles a teammate relayed are expected; a file copied twice is worth showing.
                    if copy { print(tr("  already merged  \(name)  (the same bundle, copied twice)")) }
                case .rejected(let reason):
                    print(tr("  rejected        \(name): \(reason.oneLine)"))
                case .storeFailed(let error):
                    throw error
                }
                if let ahead = outcome.aheadBy {
                    print(tr("  flagged         \(name): its clock ran \(BundleText.duration(ahead)) ahead of the office's"))
                }
            }
            let rejected = report.outcomes.count - merged - already
            print("  " + tr("\(merged) merged; \(already) already merged (teammates' relays, and the copy); \(rejected) rejected"))
            let office = report.office
            let conflicts = try office.conflicts()
            if !conflicts.isEmpty {
                print("")
                print(tr("Conflicts kept for review (`fieldbook conflicts`):"))
                for c in conflicts {
                    print("  \(c.kind.rawValue) \(c.record)".oneLine)
                    print("    " + tr("\(c.field): kept \"\(c.kept)\" (\(c.keptDevice)); overwritten \"\(c.overwritten)\" (\(c.overwrittenDevice))").oneLine)
                }
            }
            print("")
            try DemoTally.show(office: office, directory: dir)
            print("")
            let folder = dir.oneLine
            print(tr("Files written under \(folder)/ (\(Self.size(of: dir))):"))
            let files = [
                ("roster.csv", tr("the district roster (\(report.district.householdCount, "household"))")),
                ("office.sqlite", tr("the office's central store, every bundle merged, and its keys")),
                ("office.fbkey", tr("the office's public keys, as handed to the teams")),
                ("laptops/*.sqlite", tr("\(report.laptopPaths.count) laptops' stores, each with the district's roster")),
                ("sticks/", tr("\(report.bundlesWritten) bundles, as carried on USB sticks")),
                ("report.html", tr("the office's coverage report")),
            ]
            for (file, what) in files { print("  " + DisplayWidth.pad(file, to: 28) + what) }
            print("")
            print(tr("Try next:"))
            let me = Self.invokedAs(CommandLine.arguments.first ?? "fieldbook", environment: ProcessInfo.processInfo.environment)
            let db = Self.shellQuoted((dir as NSString).appendingPathComponent("office.sqlite")).oneLine
            for (command, options) in [("status", ""), ("conflicts", ""), ("tally", " --by township"), ("problems", " --overdue")] {
                print("  \(me) \(command) --db \(db)\(options)")
            }
            print("")
            let seconds = Int(Date().timeIntervalSince(started).rounded())
            print(seconds < 60 ? tr("Done in \(seconds) s.") : tr("Done in \(seconds / 60) min \(seconds % 60) s."))
        }

        /// How the person ran this program, for the commands they may try next: `swift run
        /// fieldbook` from a package's build folder (where `swift run` starts it by its full path),
        /// the bare name when that is what the shell finds on PATH, else the path as typed.
        static func invokedAs(_ arg0: String, environment: [String: String]) -> String {
            let name = (arg0 as NSString).lastPathComponent
            guard arg0.contains("/") else { return arg0 }
            if arg0.hasPrefix("/"), arg0.contains("/.build/") {
                return arg0.contains("/release/") ? "swift run -c release \(name)" : "swift run \(name)"
            }
            let real = URL(fileURLWithPath: arg0).resolvingSymlinksInPath().path
            for folder in (environment["PATH"] ?? "").split(separator: ":") where !folder.isEmpty {
                let candidate = URL(fileURLWithPath: String(folder)).appendingPathComponent(name)
                guard FileManager.default.isExecutableFile(atPath: candidate.path) else { continue }
                // The first match on PATH is what the shell runs: the name alone will do when it is this file.
                return candidate.resolvingSymlinksInPath().path == real ? name : shellQuoted(arg0)
            }
            return shellQuoted(arg0)
        }

        /// `text` as one shell word: as it is when it needs no quoting, else in single quotes.
        static func shellQuoted(_ text: String) -> String {
            let plain = text.unicodeScalars.allSatisfy {
                $0.value > 0x7F || CharacterSet.alphanumerics.contains($0) || "/._-+=:,@%".unicodeScalars.contains($0)
            }
            return plain && !text.isEmpty ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }

        /// The bytes of every file under `folder`, e.g. "41.2 MB".
        static func size(of folder: String) -> String {
            var total: Int64 = 0
            let enumerator = FileManager.default.enumerator(atPath: folder)
            while let relative = enumerator?.nextObject() as? String {
                let attributes = try? FileManager.default.attributesOfItem(atPath: (folder as NSString).appendingPathComponent(relative))
                if attributes?[.type] as? FileAttributeType == .typeRegular { total += (attributes?[.size] as? Int64) ?? 0 }
            }
            return String(format: "%.1f MB", Double(total) / 1_000_000)
        }
    }
}

/// The district tally the demo ends with, beside the real year's figures, and the HTML report.
enum DemoTally {
    static func show(office: Store, directory: String) throws {
        let report = try office.tally(TallyQuery())
        // A province's tally by county (its cities above them); a district's by township.
        let severalCounties = report.counties.count > 1
        print(TallyTable.render(report, by: severalCounties ? .county : .township, language: .zh))
        let d = report.district
        print("")
        print(tr("The district's year, beside the real one (睢阳区, in brackets):"))
        print(tr("  villages and communities inspected  \(d.villagesInspected) of \(d.villages), \(d.inspectedPercent ?? 0)%   [213 of 349, 61%]"))
        print(tr("  households visited                  \(NumberText.grouped(d.visited))   [14,743]"))
        print(tr("  forum participants (人次)           \(NumberText.grouped(d.participants))   [2,125]"))
        print(tr("  notices posted (张)                 \(NumberText.grouped(d.copies))   [2,130]"))
        print(tr("  problems fixed on the spot (个)     \(d.fixes)   [62]"))
        let p = d.problems
        print(tr("  problems found (个, with the fixes) \(NumberText.grouped(d.problemsFound))   [2,351]"))
        let clues = ClueDestination.allCases.map { "\($0.chinese) \(p[$0])" }.joined(separator: ", ")
        print(tr("  clues transferred (件)              \(NumberText.grouped(p.clues)): \(clues)   [217]"))
        let rate = d.rectificationPercent.map { "\($0)%" } ?? "—"
        print(tr("  rectification rate (整改率)         \(rate); \(NumberText.grouped(p.overdue)) overdue, \(NumberText.grouped(p.rectifying + p.open)) still open at the year's end   [高台县's term: 95%]"))
        let priority = PriorityKind.allCases.map { "\($0.chinese) \(d[$0].visited)/\(d[$0].households)" }.joined(separator: ", ")
        print(tr("  priority households visited        \(priority)"))
        let html = TallyHTML.render(report, by: .village, language: .zh)
        try html.write(toFile: (directory as NSString).appendingPathComponent("report.html"), atomically: true, encoding: .utf8)
    }
}
