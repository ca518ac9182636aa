// The safetensors loader: header length, JSON header validation, then every tensor read.
import CLIPKit
import Foundation
import FuzzSupport

FuzzSupport.run { start, count in
    let url = FuzzSupport.scratchFile(FuzzSupport.data(start, count), suffix: ".safetensors")
    guard let file = try? SafeTensorsFile(url: url) else { return 0 }
    var sum: Float = 0
    for name in file.entries.keys {
        if let storage = try? file.floats(of: name) { storage.withBuffer { for x in $0 { sum += x } } }
    }
    _ = sum
    return 0
}
