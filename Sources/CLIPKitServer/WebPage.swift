/// The page served at `GET /`.
enum WebPage {
    static let html = "<!doctype html><title>clipkit</title>"
}
