import FieldbookCommands
import Foundation

exit(Fieldbook.run(arguments: Array(CommandLine.arguments.dropFirst())))
