extension ChineseCatalog {
    /// The Chinese of the find part's messages.
    static let find: [(String, String)] = [
        // fieldbook find
        ("Find a household by its code, its head's name in characters or pinyin, or its village.",
         "按户号、户主姓名（汉字或拼音）或所在村查找农户。"),
        ("help.find.discussion",
         """
         fieldbook find 张建国、find zhangjianguo、find zjg（首字母）、find zhangjg 或 \
         find zhang jian guo 都能找到张建国；find 东关 zjg 只在村名含“东关”的村里找（3组 这样的村民组 \
         也可缩小范围）。匹配好的排在前面：户号、户号开头、姓名完全一致、姓名全拼或首字母、姓名开头、\
         姓名的一部分。拼音逐字读出，每个字取最常用的读音，第一个字另按姓氏读（单 读 shan 和 dan，曾 读 \
         zeng 和 ceng）；ü 写作 v 或 u。`fieldbook visit` 也同样接受姓名，只要它只指向一户。\
         没有匹配时退出码为 1。
         """),
        ("The code, the head's name (张建国, zhangjianguo, zjg), and village or group words.",
         "户号、户主姓名（张建国、zhangjianguo、zjg），以及村或村民组的名称。"),
        ("Only households of this village: NAME or TOWNSHIP/NAME.", "只查这个村的农户：村名 或 乡镇/村名。"),
        ("Show at most this many households, best first.", "最多显示这么多户，匹配好的在前。"),
        ("Print the households as JSON instead of a table.", "以 JSON 输出农户，不输出表格。"),
        ("--limit must be 1 or more.", "--limit 至少为 1。"),
        ("Give a code, a name or pinyin to find, e.g. fieldbook find zjg.", "请给出要查找的户号、姓名或拼音，例如 fieldbook find zjg。"),
        ("No household matches {1}.", "没有与 {1} 匹配的农户。"),
        ("No household matches {1}. Closest: {2}.", "没有与 {1} 匹配的农户。最接近的：{2}。"),
        ("code|head|village|group|priority|visited|match", "户号|户主|村|村民组|重点户|已走访|匹配"),
        ("yes|no", "是|否"),
        ("code|start of code|name|pinyin|start of name|part of it|place", "户号|户号开头|姓名|拼音|姓名开头|部分|所在地"),
        ("visited: in any round", "已走访：不限轮次"),
        ("visited: in round {1}", "已走访：{1}"),
        ("{1} of {2 household} shown, best first; --limit shows more; {3}.", "共 {2} 户，按匹配程度显示前 {1} 户；--limit 可显示更多；{3}。"),
        ("{1 household}; {2}.", "共 {1} 户；{2}。"),
        // fieldbook visit TEXT
        ("The household's code (户号), or its head's name in characters or pinyin (张建国, zhangjianguo, zjg): see fieldbook find.",
         "农户的户号，或户主姓名的汉字或拼音（张建国、zhangjianguo、zjg）：见 fieldbook find。"),
        ("{1} is household {2}.", "{1} 即农户 {2}。"),
        ("{1} matches {2 household}, the closest: {3}. Give the household's code (户号); `fieldbook find {4}` lists them all.",
         "{1} 与 {2} 户匹配，最接近的：{3}。请给出户号；`fieldbook find {4}` 可列出全部。"),
        ("{1} matches {2 household}: {3}. Give the household's code (户号).", "{1} 与 {2} 户匹配：{3}。请给出户号。"),
    ]
}
