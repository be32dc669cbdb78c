// Filling "%(name)s" placeholders in the words the server translated for the page.
export function fmt(text, values) {
  return String(text)
    .replace(/%\((\w+)\)s/g, (_, key) => (values[key] ?? ""))
    .replace(/%%/g, "%");
}
