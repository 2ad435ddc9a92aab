/*
 * source_test.c - selftest of source sets and URL hosts.
 * SPDX-License-Identifier: MIT
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libpsl.h>

#include "harness.h"
#include "medflag.h"

MF_TEST(source_suffix_match_on_label_boundary)
{
	mf_sources_t	*s = mf_sources_new("1");
	const char	*e = NULL;

	MF_ASSERT_EQ(0, mf_sources_add(s, "nih.gov", MF_LIST_VETTED, NULL));
	MF_ASSERT_EQ(0, mf_sources_add(s, "WWW.NaturalNews.com.",
	    MF_LIST_UNRELIABLE, NULL));
	MF_ASSERT_EQ(MF_LIST_VETTED, mf_sources_lookup(s,
	    "pubmed.ncbi.nlm.nih.gov"));
	MF_ASSERT_EQ(MF_LIST_VETTED, mf_sources_lookup_entry(s, "nih.gov",
	    &e));
	MF_ASSERT_STR_EQ("nih.gov", e);
	MF_ASSERT_EQ(MF_LIST_UNKNOWN, mf_sources_lookup(s, "notnih.gov"));
	MF_ASSERT_EQ(MF_LIST_UNRELIABLE, mf_sources_lookup(s,
	    "naturalnews.com"));
	MF_ASSERT_EQ(1, mf_sources_count(s, MF_LIST_VETTED));
	/* Moving a domain to the other list. */
	MF_ASSERT_EQ(0, mf_sources_add(s, "nih.gov", MF_LIST_UNRELIABLE,
	    NULL));
	MF_ASSERT_EQ(0, mf_sources_count(s, MF_LIST_VETTED));
	MF_ASSERT_EQ(-1, mf_sources_add(s, "not a host", MF_LIST_VETTED,
	    NULL));
	mf_sources_destroy(&s);
	mf_sources_destroy(&s);
}

MF_TEST(source_many_entries)
{
	mf_sources_t	*s = mf_sources_new(NULL);
	char		 d[64];

	for (int i = 0; i < 5000; i++) {
		snprintf(d, sizeof(d), "site%d.example.org", i);
		MF_ASSERT_EQ(0, mf_sources_add(s, d, i % 2 ? MF_LIST_VETTED :
		    MF_LIST_UNRELIABLE, NULL));
	}
	MF_ASSERT_EQ(MF_LIST_VETTED, mf_sources_lookup(s,
	    "a.b.site4999.example.org"));
	MF_ASSERT_EQ(MF_LIST_UNKNOWN, mf_sources_lookup(s, "example.org"));
	mf_sources_destroy(&s);
}

MF_TEST(source_list_file_errors_located)
{
	char		 path[] = "/tmp/mflistXXXXXX";
	FILE		*fp = fdopen(mkstemp(path), "w");
	mf_sources_t	*s = mf_sources_new(NULL);
	mf_diags_t	 d = {0};

	fputs("# comment\nwho.int\n  cdc.gov   # remark\nbad host\n"
	    "http://x.org/a\n\n", fp);
	fclose(fp);
	MF_ASSERT_EQ(2, mf_sources_load_file(s, path, MF_LIST_VETTED, &d));
	MF_ASSERT_EQ(2, mf_sources_count(s, MF_LIST_VETTED));
	MF_ASSERT_STR_CONTAINS(d.v[0].where, ":4:4");
	MF_ASSERT_STR_CONTAINS(d.v[1].where, ":5:1");
	unlink(path);
	mf_diags_free(&d);
	mf_sources_destroy(&s);
}

MF_TEST(source_url_host_and_registrable_domain)
{
	char h[256], dom[256];

	MF_ASSERT_EQ(0, mf_url_host("https://user@WWW.Example.co.uk:8080/x?y",
	    40, h, sizeof(h)));
	MF_ASSERT_STR_EQ("www.example.co.uk", h);
	MF_ASSERT_EQ(0, mf_host_domain(h, dom, sizeof(dom)));
	MF_ASSERT_STR_EQ("example.co.uk", dom);
	MF_ASSERT_EQ(0, mf_url_host("www.who.int/news", 16, h, sizeof(h)));
	MF_ASSERT_STR_EQ("www.who.int", h);
	MF_ASSERT_EQ(0, mf_host_domain("pubmed.ncbi.nlm.nih.gov", dom,
	    sizeof(dom)));
	MF_ASSERT_STR_EQ("nih.gov", dom);
	MF_ASSERT_EQ(-1, mf_url_host("mailto:a@b.org", 14, h, sizeof(h)));
	MF_ASSERT_EQ(-1, mf_url_host("https:///x", 10, h, sizeof(h)));
}

/* A host of one or two labels is not looked up in the list: it is what
 * the list would say, public suffixes and wildcard rules included. */
MF_TEST(source_short_hosts_as_the_list_says)
{
	static const char *const hosts[] = {
		"t.co", "youtu.be", "localhost", "co.uk", "github.io",
		"blogspot.com", "www.ck", "foo.ck", "com", "", ".co", "a.b",
		"bit.ly", "xn--p1ai", "mil.ru", "kobe.jp", "city.kobe.jp",
		"www.city.kobe.jp", "t.co.", "1.2.3.4", NULL
	};
	char dom[256];

	for (size_t i = 0; hosts[i] != NULL; i++) {
		const char *r = psl_registrable_domain(psl_builtin(),
		    hosts[i]);

		MF_ASSERT_EQ(0, mf_host_domain(hosts[i], dom, sizeof(dom)));
		MF_ASSERT_STR_EQ(r ? r : hosts[i], dom);
	}
}

MF_TEST(source_shipped_lists_load)
{
	char		 path[4096];
	mf_sources_t	*s = mf_sources_new(NULL);
	mf_diags_t	 d = {0};

	snprintf(path, sizeof(path), "%s/rules/sources", mf_test_top());
	MF_ASSERT_EQ(0, mf_sources_load_dir(s, path, &d));
	MF_ASSERT(mf_sources_count(s, MF_LIST_VETTED) > 250);
	MF_ASSERT(mf_sources_count(s, MF_LIST_UNRELIABLE) > 200);
	MF_ASSERT_EQ(MF_LIST_VETTED, mf_sources_lookup(s, "www.who.int"));
	MF_ASSERT_EQ(MF_LIST_UNRELIABLE, mf_sources_lookup(s,
	    "www.naturalnews.com"));
	mf_diags_free(&d);
	mf_sources_destroy(&s);
}
