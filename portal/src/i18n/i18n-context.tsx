import { createContext, type ReactNode, useContext, useEffect, useMemo, useState } from "react";

import type { MessageKey } from "./en.ts";
import { initialLanguage, type Language, storeLanguage, type Translate, translator } from "./language.ts";

export interface I18n {
  language: Language;
  setLanguage: (language: Language) => void;
  t: Translate;
  formatDateTime: (value: string | number | Date) => string;
  formatTime: (value: string | number | Date) => string;
  formatNumber: (value: number, options?: Intl.NumberFormatOptions) => string;
  formatPercent: (ratio: number) => string;
  formatRelative: (value: string | number | Date) => string;
  /** Whether `count` takes the singular in this language (French: 0 and 1; English: 1). */
  isSingular: (count: number) => boolean;
}

const I18nContext = createContext<I18n | null>(null);

const RELATIVE_UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ["day", 86_400_000],
  ["hour", 3_600_000],
  ["minute", 60_000],
  ["second", 1000],
];

function makeI18n(language: Language, setLanguage: (language: Language) => void): I18n {
  const locale = language === "fr" ? "fr-FR" : "en-GB";
  const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "medium" });
  const time = new Intl.DateTimeFormat(locale, { timeStyle: "short" });
  const relative = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  const percent = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 });
  const plurals = new Intl.PluralRules(locale);
  return {
    language,
    setLanguage,
    t: translator(language),
    formatDateTime: (value) => dateTime.format(new Date(value)),
    formatTime: (value) => time.format(new Date(value)),
    formatNumber: (value, options) => new Intl.NumberFormat(locale, options).format(value),
    formatPercent: (ratio) => percent.format(ratio),
    isSingular: (count) => plurals.select(count) === "one",
    formatRelative: (value) => {
      const delta = new Date(value).getTime() - Date.now();
      for (const [unit, size] of RELATIVE_UNITS) {
        if (Math.abs(delta) >= size || unit === "second") return relative.format(Math.round(delta / size), unit);
      }
      return "";
    },
  };
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [language, setLanguageState] = useState<Language>(initialLanguage);
  const value = useMemo(
    () =>
      makeI18n(language, (next) => {
        storeLanguage(next);
        setLanguageState(next);
      }),
    [language],
  );
  useEffect(() => {
    document.documentElement.lang = language;
  }, [language]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const i18n = useContext(I18nContext);
  if (!i18n) throw new Error("useI18n outside I18nProvider");
  return i18n;
}

export function useT(): Translate {
  return useI18n().t;
}

export type { MessageKey };
