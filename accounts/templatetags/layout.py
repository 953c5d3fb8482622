"""``{% layout %}``: a Django page drawn inside the Jinja2 layout (templates/jinja2/layout.html).

base.html is only this tag around the blocks the pages fill; the tag draws each block with the page's
context and hands them to the layout as ``slots``. The layout is thus written once, in Jinja2, for
the pages of both engines (twinning/jinja2.py).
"""

from django import template
from django.template import engines
from django.template.backends.utils import csrf_input_lazy
from django.template.loader_tags import BlockNode
from django.utils.safestring import mark_safe

register = template.Library()

# What the layout reads from the page's context besides ``slots``.
LAYOUT_CONTEXT = ("request", "user", "can", "messages", "unread_notice_count")


class LayoutNode(template.Node):
    def __init__(self, nodelist):
        self.nodelist = nodelist

    def render(self, context):
        slots = {
            node.name: mark_safe(node.render(context))  # noqa: S308 (drawn by Django's engine, escaped there)
            for node in self.nodelist
            if isinstance(node, BlockNode)
        }
        values = {name: context.get(name) for name in LAYOUT_CONTEXT}
        request = values["request"]
        values["csrf_input"] = csrf_input_lazy(request) if request is not None else ""
        return engines["jinja2"].env.get_template("layout.html").render(slots=slots, **values)


@register.tag
def layout(parser, token):
    nodelist = parser.parse(("endlayout",))
    parser.delete_first_token()
    return LayoutNode(nodelist)
