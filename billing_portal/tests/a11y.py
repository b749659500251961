"""What every page must pass in a browser: axe-core's WCAG 2.1 A/AA rules, and a 375 px screen."""

from axe_playwright_python.sync_playwright import Axe

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING_IMPACTS = {"critical", "serious"}

# axe-core is evaluated through the DevTools protocol, which the portal's CSP (script-src 'self') does not govern.
_axe = Axe()


def accessibility_violations(page) -> list[dict]:
    """The critical and serious violations axe-core finds on the page as it is now."""
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    return [violation for violation in results.response["violations"] if violation["impact"] in BLOCKING_IMPACTS]


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"  {violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(
                f"    {', '.join(map(str, node['target']))}: {node.get('failureSummary', '').splitlines()[-1:]}"
            )
            lines.append(f"      {node['html'][:160]}")
        if len(violation["nodes"]) > 5:
            lines.append(f"    ... and {len(violation['nodes']) - 5} more")
    return "\n".join(lines)


# Every element that shows money carries the class "money"; on a phone it must be wholly on the screen, not cut
# off by an overflow container, and the page itself must not scroll sideways.
_LAYOUT_PROBLEMS = """
() => {
  const problems = [];
  const width = window.innerWidth;
  const doc = document.documentElement;
  if (doc.scrollWidth > width) {
    const wide = [...document.body.querySelectorAll("*")]
      .filter((element) => element.getBoundingClientRect().right > width + 0.5 && !element.closest(".visually-hidden"))
      .slice(-3)
      .map((element) => `<${element.tagName.toLowerCase()} class="${element.className}">`);
    problems.push(`the page is ${doc.scrollWidth} px wide on a ${width} px screen: ${wide.join(", ")}`);
  }
  for (const element of document.querySelectorAll(".money")) {
    if (element.closest("[hidden], .d-print-only") || !element.textContent.trim()) continue;
    const box = element.getBoundingClientRect();
    const text = element.textContent.trim();
    if (box.width === 0 || box.height === 0) { problems.push(`"${text}" is hidden`); continue; }
    if (box.left < 0 || box.right > width) { problems.push(`"${text}" is outside the screen`); continue; }
    for (let parent = element.parentElement; parent; parent = parent.parentElement) {
      const style = getComputedStyle(parent);
      if (style.overflowX === "visible" && style.overflowY === "visible") continue;
      const clip = parent.getBoundingClientRect();
      if (box.left < clip.left - 0.5 || box.right > clip.right + 0.5) { problems.push(`"${text}" is cut off`); break; }
    }
    if (element.clientWidth && element.scrollWidth > element.clientWidth + 1) {
      problems.push(`"${text}" is wider than its box`);
    }
  }
  return problems;
}
"""


def layout_problems(page) -> list[str]:
    return page.evaluate(_LAYOUT_PROBLEMS)


def page_problems(page, *, narrow: bool) -> str:
    """A readable list of what is wrong with the page, empty if nothing is."""
    report = []
    violations = accessibility_violations(page)
    if violations:
        report.append(describe_violations(violations))
    if narrow:
        report.extend(f"  {problem}" for problem in layout_problems(page))
    return "\n".join(report)


def assert_accessible(page, *, narrow: bool = False) -> None:
    problems = page_problems(page, narrow=narrow)
    assert not problems, f"{page.url}:\n{problems}"
