extension ChineseCatalog {
    /// The Chinese of the commands part's messages.
    static let commands: [(String, String)] = [
        ("Record village inspection work offline, and report coverage.", "离线记录村级巡察工作，统计走访覆盖情况。"),
        (
            "help.fieldbook.discussion",
            """
            退出码：0 完成；1 名称或编号不存在；64 参数或取值有误（也包括：未给口令，或登记申请未给指纹）；\
            65 文件中的数据有误（密钥文件或申请损坏，密钥备份口令错误）；66 没有可用的数据库，或包、密钥、\
            申请文件或文件夹无法读取或不含包；73 数据库或 --out 指定的文件已存在；74 数据库无法写入，或包、\
            密钥文件无法写入 --out；77 本数据库不得做此更改（也包括：指纹不符或未确认，在不适用的数据库上\
            执行密钥命令）。
            """
        ),
    ]
}
