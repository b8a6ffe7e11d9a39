"""The search box's form: the console's and the portal's."""

from django import forms

from casedesk.search.query import MAX_QUERY_CHARS

PAGE_SIZE = 20
MAX_PAGE = 50  # 50 pages of 20: the candidates counted (selectors.FACET_CAP)


class SearchForm(forms.Form):
    q = forms.CharField(max_length=MAX_QUERY_CHARS, required=False, label="Search")
    page = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)
