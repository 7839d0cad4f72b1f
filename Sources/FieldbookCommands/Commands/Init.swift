import ArgumentParser
import FieldbookCore

extension Fieldbook {
    struct Init: StoreCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a store for this laptop (or, with --central, for the office).")

        @OptionGroup var store: StoreOptions
        @Option(help: "A name for this laptop, e.g. 第一巡察组-笔记本1.") var device: String
        @Option(help: "The inspection team, e.g. 第一巡察组.") var team: String?
        @Option(help: "The round to record in, e.g. 五届第五轮.") var round: String?
        @Option(help: "Inspectors named on visits when --by is not given, e.g. 张三,李四.") var inspectors: String?
        @Flag(help: "Make the office's central store, which merges every team's bundles.") var central = false

        func run(_ context: CommandContext) throws {
            let created = try Store.create(
                at: context.path,
                setup: DeviceSetup(
                    name: device, team: team, round: round,
                    inspectors: inspectors.map(Store.splitNames) ?? [], central: central),
                environment: context.environment)
            let status = try created.status()
            var line = "Created \(central ? "central " : "")store \(context.path) for device \(status.deviceName) (id \(status.deviceID))"
            if let team = status.team { line += ", team \(team)" }
            if let round = status.round { line += ", round \(round)" }
            print((line + ".").oneLine)
        }
    }
}
