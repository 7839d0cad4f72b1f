import Foundation

/// The problems a demo team finds in a village, and how their rectification goes over the months
/// after it leaves: most rectified and then checked off by the office (验收销号), some still being
/// rectified or never started when the year ends (overdue), a few found not rectifiable; about one
/// in ten is a clue transferred to the discipline commission or the organisation department.
enum DemoProblems {
    /// What happens to one problem after the team leaves, decided when it is found.
    struct Plan: Sendable {
        var id: String
        /// The steps the office records, each on its day: the status and who records it.
        var steps: [(day: Date, status: ProblemStatus, measures: String?, by: String)]
    }

    /// A problem template: category key, summary, detail, who is responsible, the measures taken.
    typealias Template = (category: String, summary: String, detail: String, responsible: String, measures: String)

    static let templates: [Template] = [
        ("party-leadership", "村党组织领导作用弱化", "村“两委”分工不明，重大事项未经党组织研究", "村党支部书记", "明确分工，重大事项先经支委会研究"),
        ("party-building", "“三会一课”制度落实不到位", "党支部会议记录不全，组织生活会流于形式", "村党支部", "补齐会议制度，规范记录，按月检查"),
        ("party-building", "发展党员程序不规范", "入党积极分子培养考察记录缺失", "村党支部", "补齐培养考察材料，严格程序"),
        ("strict-governance", "全面从严治党主体责任落实不力", "村党支部对村干部违规问题未及时处理", "村党支部书记", "约谈提醒，建立问题处理台账"),
        ("farm-subsidies", "惠农补贴发放不及时", "耕地地力保护补贴延迟三个月发放", "村委会", "补发补贴并公示发放明细"),
        ("farm-subsidies", "惠农资金发放未公示", "农机购置补贴名单未在村务公开栏公示", "村委会", "补充公示，接受群众监督"),
        ("village-assets", "村集体“三资”台账不全", "集体机动地发包未经村民代表大会表决", "村委会主任", "重新清查资产，建立台账，依法重新发包"),
        ("village-assets", "村级财务票据不规范", "白条入账，报销手续不全", "村报账员", "补齐票据手续，规范报账流程"),
        ("favouritism", "低保评定优亲厚友", "村干部亲属纳入低保，未经民主评议", "村党支部书记", "重新评议，清退不符合条件人员"),
        ("extortion", "为民办事吃拿卡要", "村民反映办理宅基地手续需请客送礼", "村委会主任", "退还财物，公开办事流程"),
        ("false-claims", "虚报冒领危房改造补助", "危房改造户名单中有非危房户", "村委会", "追回补助资金，重新核定名单"),
        ("work-style", "村干部工作作风漂浮", "值班制度未落实，群众办事找不到人", "村委会", "落实坐班值班，公开联系电话"),
        ("livelihood", "村道路灯长期损坏", "主干道路灯损坏半年未修，夜间出行不便", "村委会", "更换路灯，建立维护责任制"),
        ("livelihood", "饮水管道漏水", "三组饮水管道漏水，群众反映多次未解决", "村委会", "更换管道，恢复供水"),
        ("livelihood", "医保政策宣传不到位", "部分群众不了解医保缴费政策", "村卫生室", "入户宣传，张贴政策明白纸"),
        ("other", "档案管理混乱", "村级档案未分类归档，部分资料缺失", "村文书", "分类整理归档"),
    ]

    /// What a clue's transfer note says: the reason it goes to that body.
    static let clueNotes: [(ClueDestination, String)] = [
        (.discipline, "涉嫌违反廉洁纪律，移交区纪委监委"),
        (.discipline, "涉嫌侵占惠农资金，移交区纪委监委"),
        (.discipline, "涉嫌优亲厚友、以权谋私，移交区纪委监委"),
        (.organisation, "涉及村干部选任问题，移交区委组织部"),
        (.other, "涉及土地问题，移交区自然资源局"),
    ]

    /// Records `count` problems found in a village on `dateText` by `store`, some tied to one of the
    /// day's visits or its forum, about one in ten transferred as a clue; returns each one's plan.
    static func find(
        count: Int, village villageID: String, round: String, dateText: String, day: Date, visits: [String], forum: String?,
        by store: Store, rng: inout SeededRandom
    ) throws -> [Plan] {
        guard count > 0 else { return [] }
        var batch: [(kind: RecordKind, fields: [String: FieldValue])] = []
        var deadlines: [Int] = []
        for _ in 0..<count {
            let t = templates.randomElement(using: &rng)!
            let roll = Int.random(in: 0..<10, using: &rng)
            let foundIn: FieldValue =
                roll < 4 && !visits.isEmpty ? .text(visits.randomElement(using: &rng)!) : roll < 6 ? forum.map(FieldValue.text) ?? .null : .null
            let days = [30, 60, 60, 90].randomElement(using: &rng)!
            deadlines.append(days)
            batch.append((.problem, [
                "round": .text(round), "village": .text(villageID), "found_in": foundIn, "summary": .text(t.summary),
                "category": .text(t.category), "detail": .text(t.detail), "responsible": .text(t.responsible),
                "deadline": .text(FieldDate.string(from: day.addingTimeInterval(Double(days) * 86_400), in: shanghai)),
                "found_on": .text(dateText), "status": .text(ProblemStatus.open.rawValue),
            ]))
        }
        let ids = try store.recordBatch(batch)
        var plans: [Plan] = []
        for (i, id) in ids.enumerated() {
            if Int.random(in: 0..<1000, using: &rng) < 95 {
                let (destination, note) = clueNotes.randomElement(using: &rng)!
                _ = try store.transfer(id, to: destination.rawValue, date: dateText, note: note)
            }
            let measures = templates.first { $0.summary == batch[i].fields["summary"]?.text }?.measures
            let deadline = Double(deadlines[i])
            func on(_ days: Double) -> Date { day.addingTimeInterval(days * 86_400) }
            let roll = Int.random(in: 0..<100, using: &rng)
            let rectifiedAfter = Double.random(in: 0.3...1.1, using: &rng) * deadline
            var steps: [(day: Date, status: ProblemStatus, measures: String?, by: String)] = [
                (on(7), .rectifying, nil, clerks[0]),
            ]
            switch roll {
            case 0..<84:
                steps.append((on(rectifiedAfter), .rectified, measures, clerks[0]))
                steps.append((on(rectifiedAfter + Double.random(in: 7...30, using: &rng)), .verified, nil, clerks[1]))
            case 84..<90:
                break  // still being rectified when the year ends
            case 90..<96:
                steps = []  // never started
            default:
                steps.append((on(40), .notRectifiable, "涉及历史遗留问题，报区有关部门统筹解决", clerks[0]))
            }
            plans.append(Plan(id: id, steps: steps))
        }
        return plans
    }

    /// The office records every step whose day has come, as the villages report their
    /// rectification and the office checks it off; returns the plans with steps still to come.
    /// A problem whose bundle has not reached the office yet waits for the next time.
    static func followUp(_ plans: [Plan], at office: Store, until now: Date) throws -> [Plan] {
        var waiting: [Plan] = []
        for var plan in plans {
            while let step = plan.steps.first, step.day <= now {
                do {
                    _ = try office.rectify(
                        plan.id, status: step.status.rawValue, measures: step.measures,
                        date: FieldDate.string(from: step.day, in: shanghai), by: step.by)
                } catch FieldbookError.unknownRecord(_) {
                    break
                }
                plan.steps.removeFirst()
            }
            if !plan.steps.isEmpty { waiting.append(plan) }
        }
        return waiting
    }

    /// The office's clerks: one records a village's rectification, another checks it off.
    static let clerks = ["刘明华", "陈志强"]
    static let shanghai = TimeZone(identifier: "Asia/Shanghai")!
}
