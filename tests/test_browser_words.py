"""What a reader sees in the browser beyond what a page's script says: Streamlit's own words in both languages
(app_pages/chrome.py), a graph picture that spreads its nodes and draws them round, a search's first hit shown."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser import CHART_TEXT, open_page, settle

pytestmark = pytest.mark.browser


_SYMBOLS_JS = """(el) => {
  const box = el.getBoundingClientRect();
  const shapes = [...el.querySelectorAll('svg path')].map(e => e.getBoundingClientRect())
    .filter(b => b.width >= 5 && b.width <= 60 && b.height >= 5 && b.height <= 60 && b.y > box.y + 40);
  return {height: box.height, width: box.width, shapes: shapes.map(b => [b.x - box.x, b.y - box.y, b.width, b.height])};
}"""


@pytest.mark.parametrize(
    ("path", "spread"), [("chain?cluster=E01", 0.6), ("explore?entity=infrastructure/6389197a8400", 0.5)]
)
def test_a_picture_spreads_its_nodes_over_its_height_and_draws_them_round(
    browser_page: tuple[Any, list[str]], server: str, path: str, spread: float
) -> None:
    """ECharts drew the chain's columns in less than half the picture's height, the names over one another (and,
    given the whole box, a picture stretched to it, its nodes as ellipses): app_pages/chart_graph.py's GRAPH_BOX."""
    page, _ = browser_page
    open_page(page, f"{server}/{path}", CHART_TEXT)
    settle(page)
    page.wait_for_timeout(500)  # ECharts draws a frame after the run ends
    drawn = page.locator(".echarts-container").first.evaluate(_SYMBOLS_JS)
    shapes = drawn["shapes"]  # the nodes (and the odd short edge): their boxes in the picture
    assert len(shapes) >= 8, drawn
    round_ones = [s for s in shapes if abs(s[2] - s[3]) <= 1.5]
    assert len(round_ones) >= 0.9 * len(shapes), shapes[:20]
    ys = [s[1] for s in round_ones]
    assert max(ys) - min(ys) >= spread * drawn["height"], (min(ys), max(ys), drawn["height"])


def _shown_instead(page: Any, selector: str, pseudo: str) -> str:
    """The words CSS shows in an element's ``::before`` or ``::after`` (the page's own text hidden beside them)."""
    return str(page.locator(selector).first.evaluate(f"(e) => getComputedStyle(e, '{pseudo}').content"))


def test_streamlit_s_own_words_show_in_both_languages(browser_page: tuple[Any, list[str]], server: str) -> None:
    """Streamlit writes a placeholder, a typing hint and an empty list's words in English only: the app gives its
    own (app_pages/chrome.py), and a Streamlit that renames what the app's style finds fails here."""
    page, _ = browser_page
    open_page(page, f"{server}/map", CHART_TEXT)
    settle(page)
    city = page.locator("[data-testid='stSelectbox']", has_text="城市")
    assert city.locator("input").get_attribute("placeholder") == "— 未选 — — none —"  # Streamlit's: "Choose an option"
    city.locator("input").click()
    page.keyboard.type("不存在的城市")
    empty = page.locator(".equpb2c9")  # the selectbox's empty list
    empty.first.wait_for(timeout=10_000)
    assert _shown_instead(page, ".equpb2c9", "::after") == '"无匹配项 No results"'
    assert empty.first.evaluate("(e) => getComputedStyle(e).fontSize") == "0px"  # Streamlit's own words unseen
    page.keyboard.press("Escape")

    open_page(page, f"{server}/explore", "[data-testid='stTextInput'] input")
    settle(page)
    search = page.locator("[data-testid='stTextInput'] input").first
    search.click()
    page.keyboard.type("中")
    hint = "[data-testid='stTextInput'] [data-testid='InputInstructions']"
    page.locator(hint).first.wait_for(timeout=10_000)
    assert _shown_instead(page, hint, "::before") == '"按 Enter 键确认 Press Enter to apply"'
    assert "Press Enter" not in page.locator(hint).first.inner_text()  # Streamlit's sentence hidden

    open_page(page, f"{server}/console", "[data-testid='stTextArea'] textarea")
    settle(page)
    page.locator("[data-testid='stTextArea'] textarea").first.click()
    page.keyboard.type(" ")
    hint = "[data-testid='stTextArea'] [data-testid='InputInstructions']"
    page.locator(hint).first.wait_for(timeout=10_000)
    assert _shown_instead(page, hint, "::before") == '"按 Ctrl+Enter 键确认 Press Ctrl+Enter to apply"'


def test_a_new_search_on_explore_shows_its_first_hit_in_the_entity_box(
    browser_page: tuple[Any, list[str]], server: str
) -> None:
    """The box kept showing the entity found before (its key taken out of the session leaves the browser's value)."""
    page, _ = browser_page
    open_page(page, f"{server}/explore?entity=infrastructure/6389197a8400", CHART_TEXT)
    settle(page)
    search = page.locator("[data-testid='stTextInput'] input").first
    search.fill("中山大学")
    search.press("Enter")
    settle(page)
    boxes = "[...document.querySelectorAll(\"[data-testid='stSelectbox']\")]"
    entity = f"{boxes}.find(e => e.innerText.includes('实体')).querySelector('input').value"  # the value it shows
    page.wait_for_function(f"() => {entity}.includes('中山大学')", timeout=15_000)


_OVERLAPS_JS = """(el, names) => {
  const boxes = [...el.querySelectorAll('svg text')].map(t => [t.textContent, t.getBoundingClientRect()]);
  const legend = boxes.filter(([text]) => names.includes(text)), rest = boxes.filter(([text]) => !names.includes(text));
  const meet = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
  return {legend: legend.length, overlaps: legend.flatMap(([name, a]) => rest.filter(([, b]) => meet(a, b))
    .map(([text]) => name + ' / ' + text))};
}"""


def test_compare_s_legend_stays_clear_of_the_chart_s_words(browser_page: tuple[Any, list[str]], server: str) -> None:
    """Left to the theme, the bar chart's legend sat at its bottom, over the third line of a stage's name."""
    page, _ = browser_page
    cities = ["深圳市", "东莞市", "广州市"]
    open_page(page, f"{server}/compare?cities={','.join(cities)}", CHART_TEXT)
    settle(page)
    page.wait_for_timeout(500)  # ECharts draws a frame after the run ends
    bars = page.locator(".echarts-container", has_text="基础研究").last
    drawn = bars.evaluate(_OVERLAPS_JS, cities)
    assert drawn["legend"] == 3 and not drawn["overlaps"], drawn


def test_a_node_s_long_values_wrap_inside_its_details(browser_page: tuple[Any, list[str]], server: str) -> None:
    """A long URL widened Explore's details table past its column, which then scrolled sideways
    (app_pages/page_style.py)."""
    page, _ = browser_page
    open_page(page, f"{server}/explore?entity=infrastructure/6389197a8400", "[data-testid='stTable']")
    settle(page)
    table = page.locator("[data-testid='stTable']").first
    assert "http" in table.inner_text()  # a cited source's URL, the longest value
    widths = table.evaluate("(e) => [...e.querySelectorAll('*')].filter(x => x.scrollWidth > x.clientWidth + 1).length")
    assert widths == 0


LEGEND_END = """(el) => { const box = el.getBoundingClientRect();
  const texts = [...el.querySelectorAll('svg text')].filter(t => t.getBoundingClientRect().y - box.y < 30);
  const pager = texts.find(t => /^\\d+\\/\\d+$/.test(t.textContent));
  const right = (t) => t.getBoundingClientRect().right - box.x;
  // with a pager, the items past it are clipped: the pager is the legend's end; else its last item is
  return {width: box.width, end: pager ? right(pager) : Math.max(...texts.map(right))}; }"""


def test_a_picture_s_legend_stays_clear_of_its_buttons(browser_page: tuple[Any, list[str]], server: str) -> None:
    """ECharts ignored a scrolling legend's right: on the chain page its pager sat on the picture's buttons. At 80 %
    of the width it sat on them again in a picture narrower than about 420 px (a phone's)."""
    page, _ = browser_page
    buttons = 8 + 4 + 3 * 16 + 2 * 10 + 4  # chart_graph.toolbox: right, padding, three icons and their gaps
    try:
        for width in (1440, 320):
            page.set_viewport_size({"width": width, "height": 900})
            open_page(page, f"{server}/chain?cluster=E01", CHART_TEXT)
            settle(page)
            page.wait_for_timeout(500)  # ECharts draws a frame after the run ends
            drawn = page.locator(".echarts-container").first.evaluate(LEGEND_END)
            assert drawn["end"] <= drawn["width"] - buttons, (width, drawn)
    finally:
        page.set_viewport_size({"width": 1440, "height": 900})  # the module's other tests see the page they expect


NODES_SPREAD = """(el) => { const box = el.getBoundingClientRect();
  const dots = [...el.querySelectorAll('svg path')].map(p => p.getBoundingClientRect())
    .filter(r => r.width > 2 && r.width < 60 && Math.abs(r.width - r.height) < 1.5 && r.y - box.y > 40);
  const ys = dots.map(r => r.y + r.height / 2 - box.y);
  return {height: box.height, nodes: dots.length, spread: Math.max(...ys) - Math.min(...ys)}; }"""


def test_a_chain_on_a_phone_takes_its_picture_s_height(browser_page: tuple[Any, list[str]], server: str) -> None:
    """Kept in its wide shape, a chain on a 375 px phone took the top 110 px of its 680 px picture, its rows 3 px
    apart; its stage blocks wrap three across there (graph_layout.NARROW_ACROSS), and widened, it is wide again."""
    page, _ = browser_page
    try:
        page.set_viewport_size({"width": 375, "height": 900})
        open_page(page, f"{server}/chain?cluster=E01", CHART_TEXT)
        settle(page)
        page.wait_for_timeout(500)  # ECharts draws a frame after the run ends
        picture = page.locator(".echarts-container").first
        drawn = picture.evaluate(NODES_SPREAD)
        assert drawn["nodes"] > 100 and drawn["spread"] > 0.4 * drawn["height"], drawn
        page.set_viewport_size({"width": 1440, "height": 900})  # a phone turned, a window widened
        page.wait_for_timeout(1000)
        wide = picture.evaluate(NODES_SPREAD)  # ECharts kept the phone's layout, 1,448 px tall in its 680 px box
        assert wide["spread"] < wide["height"] and wide["nodes"] > drawn["nodes"], (drawn, wide)
    finally:
        page.set_viewport_size({"width": 1440, "height": 900})  # the module's other tests see the page they expect


def test_a_page_s_button_to_another_page_keeps_the_reader_s_language(
    browser_page: tuple[Any, list[str]], server: str
) -> None:
    """Map's "Compare with other cities" (``st.switch_page``) opened Compare in Chinese, its radio still on English:
    Streamlit forgot the radio's value, which was the language (app.py keeps it under a key of its own)."""
    page, _ = browser_page
    open_page(page, f"{server}/map?city=东莞市&lang=en", "text=Compare with other cities")
    settle(page)
    page.get_by_text("Compare with other cities").click()
    page.locator("h1", has_text="Compare cities").wait_for(timeout=60_000)
    settle(page)
    assert page.locator("h1").first.inner_text().strip() == "Compare cities"  # English alone, not 城市比较 first
    assert "城市比较" not in page.locator("[data-testid='stSidebar']").inner_text()
    assert "lang=en" in page.url
