"""The demo shop's knowledge base (seeded by `seed_demo`; the retriever's benchmark and its unit
test measure against it). Dutch texts, as the shop's; keywords carry the English words visitors
also use."""

from __future__ import annotations

from klantreis.knowledge.models import KnowledgeEntryInput

DEMO_ENTRIES: dict[str, KnowledgeEntryInput] = {
    "maten": KnowledgeEntryInput(
        kind="faq",
        title="Welke maat moet ik kiezen? Vallen de schoenen normaal?",
        body="Onze schoenen vallen normaal. Twijfel je tussen twee maten, kies dan de grotere. "
        "De maattabel staat op elke productpagina: meet je voet van hiel tot grote teen en vergelijk.",
        keywords=["size", "sizes", "sizing", "fit", "maattabel", "small", "large", "groot", "klein"],
    ),
    "breedte": KnowledgeEntryInput(
        kind="faq",
        title="Hebben jullie brede schoenen of laarzen met een wijde schacht?",
        body="Ja, bij veel modellen staat de wijdte (G, H of K) op de productpagina. Laarzen met een "
        "wijde schacht vind je met het filter 'schachtwijdte' in de categorie dameslaarzen.",
        keywords=["wide", "width", "calf", "kuit", "wijdte", "breed", "narrow", "smal"],
        categories=["dameslaarzen"],
    ),
    "levertijd": KnowledgeEntryInput(
        kind="faq",
        title="Wanneer wordt mijn bestelling bezorgd?",
        body="Op werkdagen voor 22:00 besteld, morgen in huis (Nederland). Naar België rekenen we "
        "1-2 werkdagen. Je krijgt een track-and-trace-code per e-mail zodra het pakket onderweg is.",
        keywords=[
            "delivery",
            "deliver",
            "shipping",
            "arrive",
            "levering",
            "leveren",
            "when",
            "tomorrow",
            "morgen",
            "bezorging",
        ],
    ),
    "verzendkosten": KnowledgeEntryInput(
        kind="faq",
        title="Wat kost de verzending?",
        body="Verzending is gratis vanaf 50 euro. Daaronder betaal je 4,95 euro verzendkosten.",
        keywords=["shipping", "cost", "costs", "free", "gratis", "fee", "verzendkosten", "postage"],
        stages=["cart", "checkout"],
    ),
    "volgen": KnowledgeEntryInput(
        kind="faq",
        title="Waar is mijn pakket? Track and trace",
        body="Met de track-and-trace-link in je verzendbevestiging volg je het pakket. Geen e-mail "
        "ontvangen? Kijk in je spam of stuur ons je bestelnummer.",
        keywords=[
            "track",
            "tracking",
            "parcel",
            "package",
            "where",
            "status",
            "order",
            "pakket",
            "trace",
            "bestelnummer",
        ],
    ),
    "retour": KnowledgeEntryInput(
        kind="faq",
        title="Hoe stuur ik iets terug?",
        body="Je hebt 30 dagen bedenktijd. Meld de retour aan via 'Mijn bestellingen', print het "
        "gratis retourlabel en lever het pakket in bij een PostNL-punt.",
        keywords=[
            "return",
            "returns",
            "send",
            "back",
            "retourneren",
            "terugsturen",
            "label",
            "refund",
            "days",
            "dagen",
        ],
    ),
    "terugbetaling": KnowledgeEntryInput(
        kind="faq",
        title="Wanneer krijg ik mijn geld terug?",
        body="Binnen 5 werkdagen nadat we je retour hebben ontvangen, storten we het bedrag terug "
        "via de betaalmethode waarmee je betaalde.",
        keywords=["refund", "money", "back", "geld", "terugbetalen", "terugstorten", "reimburse"],
    ),
    "ruilen": KnowledgeEntryInput(
        kind="faq",
        title="Kan ik mijn schoenen ruilen voor een andere maat?",
        body="Ja, ruilen is gratis. Meld een retour aan en kies 'ruilen'; we sturen de nieuwe maat "
        "zodra je pakket onderweg is naar ons.",
        keywords=["exchange", "swap", "different", "size", "other", "omruilen", "andere", "maat"],
    ),
    "betalen": KnowledgeEntryInput(
        kind="faq",
        title="Hoe kan ik betalen?",
        body="Je betaalt met iDEAL, Bancontact, creditcard (Visa, Mastercard), PayPal of achteraf "
        "met Klarna.",
        keywords=[
            "payment",
            "pay",
            "methods",
            "ideal",
            "paypal",
            "creditcard",
            "credit",
            "card",
            "bancontact",
            "betaalmethode",
            "betaling",
        ],
        stages=["checkout"],
    ),
    "achteraf": KnowledgeEntryInput(
        kind="faq",
        title="Kan ik achteraf betalen?",
        body="Ja, met Klarna betaal je binnen 30 dagen na ontvangst, zonder extra kosten.",
        keywords=["later", "afterpay", "klarna", "invoice", "factuur", "achteraf", "pay", "installments"],
        stages=["checkout"],
    ),
    "betaling-mislukt": KnowledgeEntryInput(
        kind="faq",
        title="Mijn betaling is mislukt, wat nu?",
        body="Er is dan niets afgeschreven en je bestelling staat nog open. Probeer het opnieuw of "
        "kies een andere betaalmethode; lukt het niet, stuur ons de foutmelding.",
        keywords=[
            "payment",
            "failed",
            "error",
            "declined",
            "fout",
            "foutmelding",
            "mislukt",
            "werkt",
            "afgeschreven",
            "charged",
        ],
        stages=["checkout"],
    ),
    "kortingscode": KnowledgeEntryInput(
        kind="faq",
        title="Waar vul ik mijn kortingscode in?",
        body="In stap 2 van het afrekenen staat het veld 'Kortingscode'. De korting zie je direct "
        "in het totaal. Per bestelling geldt één code.",
        keywords=["discount", "code", "coupon", "voucher", "promo", "korting", "actiecode", "werkt"],
        stages=["checkout"],
    ),
    "cadeaubon": KnowledgeEntryInput(
        kind="faq",
        title="Verkopen jullie cadeaubonnen?",
        body="Ja, digitale cadeaubonnen van 10 tot 150 euro, een jaar geldig en in te wisselen bij het "
        "afrekenen.",
        keywords=["gift", "card", "voucher", "giftcard", "present", "cadeau", "kado", "bon"],
    ),
    "voorraad": KnowledgeEntryInput(
        kind="faq",
        title="Mijn maat is uitverkocht, komt die terug?",
        body="Klik op 'Mail mij' bij de maat: zodra hij terug op voorraad is, krijg je bericht. De "
        "meeste modellen vullen we binnen twee weken aan.",
        keywords=[
            "stock",
            "sold",
            "out",
            "restock",
            "available",
            "back",
            "uitverkocht",
            "voorraad",
            "beschikbaar",
        ],
    ),
    "onderhoud": KnowledgeEntryInput(
        kind="faq",
        title="Hoe onderhoud ik leren laarzen?",
        body="Borstel ze schoon, laat ze drogen uit de buurt van de verwarming en behandel ze elke "
        "paar weken met een leervet of impregneerspray tegen regen.",
        keywords=[
            "care",
            "clean",
            "cleaning",
            "leather",
            "waterproof",
            "rain",
            "leer",
            "schoonmaken",
            "waterdicht",
            "regen",
            "impregneren",
        ],
        categories=["dameslaarzen", "herenschoenen"],
    ),
    "bestelling-wijzigen": KnowledgeEntryInput(
        kind="faq",
        title="Kan ik mijn bestelling nog wijzigen of annuleren?",
        body="Zolang de bestelling niet verzonden is wel: bel of chat met ons met je bestelnummer. "
        "Is hij al onderweg, stuur hem dan gratis retour.",
        keywords=[
            "change",
            "cancel",
            "modify",
            "order",
            "annuleren",
            "wijzigen",
            "aanpassen",
            "adres",
            "address",
        ],
    ),
    "afhalen": KnowledgeEntryInput(
        kind="faq",
        title="Kan ik mijn bestelling ophalen in de winkel?",
        body="Ja, kies bij het afrekenen 'Afhalen in de winkel'. Na een sms kun je de bestelling "
        "binnen 7 dagen ophalen in Utrecht.",
        keywords=["pickup", "pick", "collect", "store", "shop", "winkel", "ophalen", "afhalen"],
    ),
    "openingstijden": KnowledgeEntryInput(
        kind="faq",
        title="Wanneer is de klantenservice bereikbaar?",
        body="De chat en telefoon zijn bereikbaar van maandag tot en met zaterdag, 9:00 tot 21:00.",
        keywords=[
            "opening",
            "hours",
            "open",
            "customer",
            "service",
            "contact",
            "phone",
            "bellen",
            "bereikbaar",
            "klantenservice",
            "telefoon",
        ],
    ),
    "groet": KnowledgeEntryInput(
        kind="canned",
        title="Begroeting",
        body="Hoi! Ik ben van de klantenservice. Waar kan ik je mee helpen?",
        keywords=["hello", "welcome", "welkom", "begroeting", "greeting"],
    ),
    "korting-aanbod": KnowledgeEntryInput(
        kind="canned",
        title="Korting aanbieden bij twijfel",
        body="Ik zie dat je twijfelt: met deze code krijg je korting op je bestelling. Vul hem in "
        "bij stap 2 van het afrekenen.",
        keywords=[
            "discount",
            "offer",
            "doubt",
            "twijfel",
            "korting",
            "aanbieding",
            "cheaper",
            "goedkoper",
            "deal",
        ],
        stages=["cart", "checkout"],
    ),
}
