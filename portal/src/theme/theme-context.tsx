import { createContext, type ReactNode, useContext, useEffect, useState } from "react";

import type { ThemeChoice } from "../embed/embed-options.ts";
import { applyTheme, type Brand, storedTheme, storeTheme } from "./theme.ts";

interface ThemeState {
  choice: ThemeChoice;
  setChoice: (choice: ThemeChoice) => void;
}

const ThemeContext = createContext<ThemeState | null>(null);

/** Light, dark or following the system: the embedding URL's darkMode, else the last choice made here. */
export function ThemeProvider({ initial, brand, children }: { initial: ThemeChoice | null; brand: Brand; children: ReactNode }) {
  const [choice, setChoiceState] = useState<ThemeChoice>(() => initial ?? storedTheme() ?? "auto");
  const { primaryLight, primaryDark, fontFamily } = brand;

  useEffect(() => {
    const apply = () => applyTheme(choice, { primaryLight, primaryDark, fontFamily });
    apply();
    const media = matchMedia("(prefers-color-scheme: dark)");
    media.addEventListener("change", apply);
    return () => media.removeEventListener("change", apply);
  }, [choice, primaryLight, primaryDark, fontFamily]);

  const setChoice = (next: ThemeChoice) => {
    storeTheme(next);
    setChoiceState(next);
  };
  return <ThemeContext.Provider value={{ choice, setChoice }}>{children}</ThemeContext.Provider>;
}

export function useTheme(): ThemeState {
  const theme = useContext(ThemeContext);
  if (!theme) throw new Error("useTheme outside ThemeProvider");
  return theme;
}
