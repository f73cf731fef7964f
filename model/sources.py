"""Bibliography: every source that a parameter or mechanism cites, by key.

Parameters cite these keys in square brackets (``[amex2011]``); a test checks
that every cited key is defined here.
"""

BIBLIOGRAPHY: dict[str, str] = {
    "seed000": (
        "Umeme, S. 'Customer service should not be a department...' (essay, "
        "shared/seeds/000). Experience starts before the sale; a caller who hung "
        "up after 16 minutes bought elsewhere."
    ),
    "seed001": (
        "Kraus, E. 'October is Customer Service Month', excerpt from 365 Days of "
        "Marketing (shared/seeds/001): meeting "
        "expectations is only acceptable, delight needs more; satisfied "
        "customers pay a premium of about 15%."
    ),
    "seed002": (
        "'Why customer service is a feeling' (essay, shared/seeds/002): product "
        "quality > on-time delivery > right product > problem resolution; price "
        "matters little; overpromising raises expectations; a logistics partner "
        "is only partly under the firm's control."
    ),
    "seed003": ("Essay on touchpoints before, during and after the sale (shared/seeds/003)."),
    "seed004": (
        "Roumeliotis, J. D. 'The Post-Sale Customer Service Conundrum: Lip "
        "Service or Genuine Care?' (shared/seeds/004): calls-per-minute metrics, "
        "deliberate bad practice, empowerment, training and re-training, Zappos "
        "hiring for culture, Marriott employee care, callbacks after 2 minutes."
    ),
    "bass1969": (
        "Bass, F. M. (1969). A new product growth for model consumer durables. "
        "Management Science 15(5), 215-227."
    ),
    "harrison1991": (
        "Harrison, J. R. & Carroll, G. R. (1991). Keeping the faith: a model of "
        "cultural transmission in formal organizations. Administrative Science "
        "Quarterly 36(4), 552-582."
    ),
    "goldenberg2001": (
        "Goldenberg, J., Libai, B. & Muller, E. (2001). Talk of the network: a "
        "complex systems look at the underlying process of word-of-mouth. "
        "Marketing Letters 12(3), 211-223."
    ),
    "goldenberg2007": (
        "Goldenberg, J., Libai, B., Moldovan, S. & Muller, E. (2007). The NPV of "
        "bad news. International Journal of Research in Marketing 24(3), 186-200."
    ),
    "garnett2002": (
        "Garnett, O., Mandelbaum, A. & Reiman, M. (2002). Designing a call center "
        "with impatient customers. Manufacturing & Service Operations Management "
        "4(3), 208-227."
    ),
    "mandelbaum2007": (
        "Mandelbaum, A. & Zeltyn, S. (2007). Service engineering in action: the "
        "Palm/Erlang-A queue, with applications to call centers. In Spath, D. & "
        "Fahnrich, K.-P. (eds.), Advances in Services Innovations, Springer, 17-45 "
        "(closed forms of Erlang A through the incomplete gamma function)."
    ),
    "erlang1917": (
        "Erlang, A. K. (1917). Solution of some problems in the theory of "
        "probabilities of significance in automatic telephone exchanges. "
        "Elektroteknikeren 13."
    ),
    "halfin1981": (
        "Halfin, S. & Whitt, W. (1981). Heavy-traffic limits for queues with many "
        "exponential servers. Operations Research 29(3), 567-588 (square-root "
        "staffing)."
    ),
    "heskett1994": (
        "Heskett, J. L., Jones, T. O., Loveman, G. W., Sasser, W. E. & "
        "Schlesinger, L. A. (1994). Putting the service-profit chain to work. "
        "Harvard Business Review 72(2), 164-174."
    ),
    "mittal2001": (
        "Mittal, V. & Kamakura, W. A. (2001). Satisfaction, repurchase intent, "
        "and repurchase behavior: investigating the moderating effect of customer "
        "characteristics. Journal of Marketing Research 38(1), 131-142."
    ),
    "reichheld2003": (
        "Reichheld, F. F. (2003). The one number you need to grow. Harvard "
        "Business Review 81(12), 46-54 (Net Promoter Score)."
    ),
    "amex2011": (
        "American Express (2011). Global Customer Service Barometer: 70% of US "
        "consumers willing to spend 13% more with companies that provide "
        "excellent service; people tell 9 others about good and 16 about bad "
        "experiences."
    ),
    "tarp1986": (
        "TARP (Technical Assistance Research Programs) (1986). Consumer "
        "complaint handling in America: an update study. White House Office of "
        "Consumer Affairs (about half of dissatisfied customers complain to "
        "front-line staff, few to headquarters)."
    ),
    "watts1998": (
        "Watts, D. J. & Strogatz, S. H. (1998). Collective dynamics of "
        "'small-world' networks. Nature 393, 440-442."
    ),
    "grimm2020": (
        "Grimm, V. et al. (2020). The ODD protocol for describing agent-based "
        "and other simulation models: a second update. JASSS 23(2) 7."
    ),
    "schein2010": (
        "Schein, E. H. (2010). Organizational Culture and Leadership, 4th ed. "
        "Jossey-Bass. Culture as shared basic assumptions and norms; leaders embed "
        "it by what they attend to, measure, reward and model; subcultures of units."
    ),
    "centola2018": (
        "Centola, D., Becker, J., Brackbill, D. & Baronchelli, A. (2018). "
        "Experimental evidence for tipping points in social convention. Science "
        "360(6393), 1116-1119. A committed minority of about 25% overturns an "
        "established convention."
    ),
    "slovic1993": (
        "Slovic, P. (1993). Perceived risk, trust, and democracy. Risk Analysis "
        "13(6), 675-682. The asymmetry principle: trust is easier to destroy than to create."
    ),
    "oliver1980": (
        "Oliver, R. L. (1980). A cognitive model of the antecedents and "
        "consequences of satisfaction decisions. Journal of Marketing Research "
        "17(4), 460-469. Satisfaction as a linear function of expectation and its disconfirmation."
    ),
    "baumgartner2001": (
        "Baumgartner, H. & Steenkamp, J.-B. E. M. (2001). Response styles in "
        "marketing research: a cross-national investigation. Journal of Marketing "
        "Research 38(2), 143-156. People differ systematically in how they use rating scales."
    ),
    "grandey2000": (
        "Grandey, A. A. (2000). Emotion regulation in the workplace: a new way to "
        "conceptualize emotional labor. Journal of Occupational Health Psychology "
        "5(1), 95-110. Emotional labour of front-line service work wears employees down."
    ),
    "gans2003": (
        "Gans, N., Koole, G. & Mandelbaum, A. (2003). Telephone call centers: "
        "tutorial, review, and research prospects. Manufacturing & Service "
        "Operations Management 5(2), 79-141. Service-level targets (80% in 20 s), "
        "shrinkage, and arrival rates that vary through the day."
    ),
    "calibration": (
        "CX Culture Lab calibration: a stated modelling choice, chosen so that a "
        "mid-sized firm behaves plausibly at defaults; see docs/odd.md."
    ),
}
