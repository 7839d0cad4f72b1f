extension ChineseCatalog {
    /// The Chinese of the demo part's messages.
    static let demo: [(String, String)] = [
        ("Run the whole pipeline on a generated district: laptops, bundles, the office's merge, the tally.", "在生成的区县上跑完整流程：笔记本、数据包、巡察办合并、统计。"),
        ("The folder to write stores, bundles and the report into.", "写入数据库、数据包和报表的文件夹。"),
        ("The seed: the same seed, the same district and the same files.", "随机种子：同一种子生成同样的区县和同样的文件。"),
        ("district (睢阳区, 349 villages), province (≈10,000 villages, 1,000,000 visits) or sample (7 villages).", "district（睢阳区，349 个村）、province（约 10,000 个村、1,000,000 次走访）或 sample（7 个村）。"),
        ("--scale takes district, province or sample, not {1}.", "--scale 只能是 district、province 或 sample，不能是 {1}。"),
        ("Fieldbook demo: a district's year of village inspections (seed {1}, scale {2})", "Fieldbook 演示：一个区县一年的村级巡察（种子 {1}，规模 {2}）"),
        ("At the office, after each round: {1} bundle files merged from the sticks", "巡察办每轮结束后合并优盘上的数据包文件，共 {1} 个"),
        ("  already merged  {1}  (the same bundle, copied twice)", "  已合并过        {1}（同一数据包复制了两次）"),
        ("  rejected        {1}: {2}", "  已拒收          {1}：{2}"),
        ("  flagged         {1}: its clock ran {2} ahead of the office's", "  已标记          {1}：其时钟比巡察办快 {2}"),
        ("{1} merged; {2} already merged (teammates' relays, and the copy); {3} rejected", "合并 {1} 个；已合并过 {2} 个（组内转交的，以及那份副本）；拒收 {3} 个"),
        ("Conflicts kept for review (`fieldbook conflicts`):", "留待复核的冲突（`fieldbook conflicts`）："),
        ("{1}: kept \"{2}\" ({3}); overwritten \"{4}\" ({5})", "{1}：保留“{2}”（{3}）；覆盖“{4}”（{5}）"),
        ("Files written under {1}/ ({2}):", "写入 {1}/ 的文件（{2}）："),
        ("the district roster ({1 household})", "全区花名册（{1} 户）"),
        ("the office's central store, every bundle merged, and its keys", "巡察办的中心数据库，已合并全部数据包，含其密钥"),
        ("the office's public keys, as handed to the teams", "巡察办的公钥，发给各巡察组"),
        ("{1} laptops' stores, each with the district's roster", "{1} 台笔记本的数据库，各含全区花名册"),
        ("{1} bundles, as carried on USB sticks", "{1} 个数据包，即优盘上带的文件"),
        ("the office's coverage report", "巡察办的覆盖情况报表"),
        ("Try next:", "接下来可以试试："),
        ("Done in {1} s.", "用时 {1} 秒。"),
        ("Done in {1} min {2} s.", "用时 {1} 分 {2} 秒。"),
        ("The district's year, beside the real one (睢阳区, in brackets):", "全区一年的数字，方括号内为睢阳区的实际数字："),
        ("  villages and communities inspected  {1} of {2}, {3}%   [213 of 349, 61%]", "  已巡察村（社区）                    {1}/{2}，{3}%   [213/349，61%]"),
        ("  households visited                  {1}   [14,743]", "  走访农户（户）                      {1}   [14,743]"),
        ("  forum participants (人次)           {1}   [2,125]", "  座谈人次                            {1}   [2,125]"),
        ("  notices posted (张)                 {1}   [2,130]", "  张贴公告（张）                      {1}   [2,130]"),
        ("  problems fixed on the spot (个)     {1}   [62]", "  立行立改（个）                      {1}   [62]"),
        ("  problems found (个, with the fixes) {1}   [2,351]", "  发现问题（个，含立行立改）          {1}   [2,351]"),
        ("  clues transferred (件)              {1}: {2}   [217]", "  移交问题线索（件）                  {1}：{2}   [217]"),
        ("  rectification rate (整改率)         {1}; {2} overdue, {3} still open at the year's end   [高台县's term: 95%]", "  整改率                              {1}；逾期 {2} 个，年底仍未整改 {3} 个   [高台县本届：95%]"),
        ("  priority households visited        {1}", "  重点户走访（已访/在册）            {1}"),
        ("roster: {1 household} in {2} villages and communities of {3 township}, imported at the office", "花名册：{3} 个乡镇（街道）、{2} 个村（社区）的 {1} 户，已导入巡察办"),
        ("the office has no keys", "巡察办没有密钥"),
        ("keys: the office's fingerprint is {1}; office.fbkey goes to every team", "密钥：巡察办的指纹为 {1}；office.fbkey 发给各巡察组"),
        ("the roster could not be packed", "花名册无法打包"),
        ("the roster bundle did not merge: {1}", "花名册数据包未能合并：{1}"),
        ("teams: {1 inspection team} with {2 laptop}, each enrolled at the office and given the signed, encrypted roster", "巡察组：{1} 个巡察组共 {2} 台笔记本，均已在巡察办登记，并收到签名加密的花名册"),
        ("{1}: {2 village}, {3 visit}; {4 bundle} onto the stick", "{1}：{2} 个村，入户走访 {3} 次；{4} 个数据包拷入优盘"),
        ("{1}: {2 village}, {3 visit} to {4 household}; {5 bundle} onto the stick", "{1}：{2} 个村，入户走访 {3} 次（{4} 户）；{5} 个数据包拷入优盘"),
        ("revoked: {1} was stolen; the office keeps its changes up to {2} and refuses any later one", "吊销：{1} 被盗；巡察办保留其第 {2} 号及以前的变更，拒收此后的任何变更"),
        ("the receipts could not be packed", "回执无法打包"),
        ("receipts: the office's signed receipts reach {1 laptop}: {2} of their changes confirmed at the office, {3} not yet", "回执：巡察办签名的回执送达 {1} 台笔记本：其变更中 {2} 个已由巡察办确认，{3} 个尚未确认"),
        ("exists and is not a demo folder; choose another with --dir.", "已存在且不是演示文件夹；请用 --dir 另选一个。"),
        (
            "help.demo.discussion",
            """
            生成一个与睢阳区相仿的区县（19 个乡镇、街道，349 个村和社区），模拟五轮巡察：各巡察组在笔记本上\
            记录、在现场互换数据包、用优盘带回巡察办（一个文件复制了两次，一个被截断），巡察办合并全部数据包\
            并打印全区统计。同一种子写出的文件逐字节相同。
            """
        ),
    ]
}
