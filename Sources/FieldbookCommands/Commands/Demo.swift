import ArgumentParser
import FieldbookCore
import Foundation

extension Fieldbook {
    struct Demo: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the whole pipeline on a generated district: laptops, bundles, the office's merge, the tally.",
            discussion: """
                Generates a district like 睢阳区 (19 townships, 349 villages and communities), simulates five \
                rounds of inspection teams recording on their laptops, swapping bundles and carrying sticks \
                to the office (one copied twice, one truncated), merges everything into the office's store and \
                prints the district tally. The same seed writes the same bytes.
                """)

        @Option(help: "The folder to write stores, bundles and the report into.") var dir = "fieldbook-demo"
        @Option(help: "The seed: the same seed, the same district and the same files.") var seed: UInt64 = 2026
        @Option(help: "district (睢阳区, 349 villages), province (≈10,000 villages, 1,000,000 visits) or sample (7 villages).")
        var scale = "district"

        func validate() throws {
            guard ["district", "province", "sample"].contains(scale) else {
                throw ValidationError("--scale takes district, province or sample, not \(scale.oneLine).")
            }
        }

        func run() throws {
            let sizes: DemoDistrict.Scale = scale == "province" ? .province : scale == "sample" ? .sample : .district
            let started = Date()
            print("Fieldbook demo: a district's year of village inspections (seed \(seed), scale \(scale))")
            print("")
            let report = try FieldbookCore.Demo.run(in: dir, seed: seed, scale: sizes) { print("  " + $0) }
            print("")
            print("At the office, after each round: \(report.outcomes.count) bundle files merged from the sticks")
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
                    if copy { print("  already merged  \(name)  (the same bundle, copied twice)") }
                case .rejected(let reason):
                    print("  rejected        \(name): \(reason.oneLine)")
                case .storeFailed(let error):
                    throw error
                }
                if let ahead = outcome.aheadBy {
                    print("  flagged         \(name): its clock ran \(BundleText.duration(ahead)) ahead of the office's")
                }
            }
            let rejected = report.outcomes.count - merged - already
            print("  \(merged) merged; \(already) already merged (teammates' relays, and the copy); \(rejected) rejected")
            let office = report.office
            let conflicts = try office.conflicts()
            if !conflicts.isEmpty {
                print("")
                print("Conflicts kept for review (`fieldbook conflicts`):")
                for c in conflicts {
                    print("  \(c.kind.rawValue) \(c.record)".oneLine)
                    print("    \(c.field): kept \"\(c.kept)\" (\(c.keptDevice)); overwritten \"\(c.overwritten)\" (\(c.overwrittenDevice))".oneLine)
                }
            }
            print("")
            try DemoTally.show(office: office, directory: dir)
            print("")
            print("Files written under \(dir.oneLine)/:")
            print("  roster.csv                  the district roster (\(NumberText.grouped(report.district.householdCount)) households)")
            print("  office.sqlite               the office's central store, every bundle merged, and its keys")
            print("  office.fbkey                the office's public keys, as handed to the teams")
            print("  laptops/*.sqlite            \(report.laptopPaths.count) laptops' stores")
            print("  sticks/                     \(report.bundlesWritten) bundles, as carried on USB sticks")
            print("  report.html                 the office's coverage report")
            print("")
            print("Try next:")
            print("  swift run fieldbook status --db \(dir.oneLine)/office.sqlite")
            print("  swift run fieldbook conflicts --db \(dir.oneLine)/office.sqlite")
            print("  swift run fieldbook tally --db \(dir.oneLine)/office.sqlite --by township")
            print("  swift run fieldbook problems --db \(dir.oneLine)/office.sqlite --overdue")
            print(String(format: "\nDone in %.0f s.", Date().timeIntervalSince(started)))
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
        print("The district's year, beside the real one (睢阳区, in brackets):")
        print("  villages and communities inspected  \(d.villagesInspected) of \(d.villages), \(d.inspectedPercent ?? 0)%   [213 of 349, 61%]")
        print("  households visited                  \(NumberText.grouped(d.visited))   [14,743]")
        print("  forum participants (人次)           \(NumberText.grouped(d.participants))   [2,125]")
        print("  notices posted (张)                 \(NumberText.grouped(d.copies))   [2,130]")
        print("  problems fixed on the spot (个)     \(d.fixes)   [62]")
        let p = d.problems
        print("  problems found (个, with the fixes) \(NumberText.grouped(d.problemsFound))   [2,351]")
        let clues = ClueDestination.allCases.map { "\($0.chinese) \(p[$0])" }.joined(separator: ", ")
        print("  clues transferred (件)              \(NumberText.grouped(p.clues)): \(clues)   [217]")
        let rate = d.rectificationPercent.map { "\($0)%" } ?? "—"
        print("  rectification rate (整改率)         \(rate); \(NumberText.grouped(p.overdue)) overdue, \(NumberText.grouped(p.rectifying + p.open)) still open at the year's end   [高台县's term: 95%]")
        let priority = PriorityKind.allCases.map { "\($0.chinese) \(d[$0].visited)/\(d[$0].households)" }.joined(separator: ", ")
        print("  priority households visited        \(priority)")
        let html = TallyHTML.render(report, by: .village, language: .zh)
        try html.write(toFile: (directory as NSString).appendingPathComponent("report.html"), atomically: true, encoding: .utf8)
    }
}
